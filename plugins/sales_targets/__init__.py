"""Sales targets (销售计划): targets per month, quarter or year for all customers, a region, a
customer type, a customer or a sales rep, optionally narrowed to a brand, a category (with its
sub-categories) or a list of SKUs, in amount or quantity. Attainment is computed from orders
by the target's counting rule (placed, approved or received orders); see ``attainment.py``.

Shown on the admin dashboard and the storefront home (progress bars), on an admin grid (a sales
rep sees only their own targets and their customers'), and in a ranking report with a chart
and an Excel export. Targets are imported from Excel and copied to the next period with growth.
"""

from __future__ import annotations

from typing import Any

from qudao.core.plugin_api import Panel, PluginMeta, RoutedPlugin, hookimpl
from qudao.plugins.sales_targets import models  # noqa: F401 - registers sales_targets_* tables


class SalesTargetsPlugin(RoutedPlugin):
    meta = PluginMeta(
        name="sales_targets", title="Sales targets 销售计划", version="0.1.0",
        description="Targets per period for regions, customer types, customers, reps and product groups, "
                    "with attainment from orders.",
        admin_menu=(("Sales targets", "/sales-targets"),),
    )

    @hookimpl
    async def qudao_dashboard_panels(self, ctx: Any) -> list[Any]:
        """This month's, quarter's and year's targets (a rep: theirs), at most eight bars."""
        return await _panel(ctx, "Targets this period", "/admin/sales-targets", order=20, limit=8)

    @hookimpl
    async def qudao_storefront_panels(self, ctx: Any) -> list[Any]:
        """The buyer's own customer targets that are running now."""
        return await _panel(ctx, "My targets", None, order=30, limit=6)


async def _panel(ctx: Any, title: str, url: str | None, *, order: int, limit: int) -> list[Any]:
    from qudao.plugins.sales_targets import service
    from qudao.plugins.sales_targets.periods import current, local_today
    from qudao.plugins.sales_targets.texts import translate

    today = local_today(ctx.tenant.timezone)
    targets = await service.targets_for(ctx, [current(k, today) for k in ("month", "quarter", "year")])
    if not targets:
        return []
    rows = await service.views(ctx, targets[:limit])
    return [Panel(title=translate(ctx, title), template="sales_targets/_panel.html", context={"rows": rows},
                  order=order, url=url)]


plugin = SalesTargetsPlugin()
