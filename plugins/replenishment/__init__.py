"""Replenishment suggestions (补货建议): for a customer, a suggested cart of the products it buys.

For each product: recent daily demand (its own purchases, or what it sold to its stores when it
resells: sell-through), its stock (a reseller's own warehouse, else the latest count it reported
through ``qudao_reported_stock``, e.g. a channel_tasks stock count, less what it sold since), what
is on order, the brand's lead time and target days of cover (plugin settings). The suggested
quantity brings stock and orders to ``daily × (lead time + target days)``, rounded up to the
product's order multiple and packing unit, never below its minimum. Each line says why.
"""

from __future__ import annotations

from typing import Any

from qudao.core.plugin_api import Panel, PluginMeta, RoutedPlugin, Setting, hookimpl


class ReplenishmentPlugin(RoutedPlugin):
    meta = PluginMeta(
        name="replenishment", title="Replenishment 补货建议", version="0.1.0",
        description="Suggested carts from each customer's demand, stock, lead time and target days of cover.",
        settings=(
            Setting("lead_time_days", "int", label="Lead time (days)", default=3, min=0, max=120,
                    help="Days from ordering to the goods being on the customer's shelf."),
            Setting("target_days", "int", label="Target days of cover", default=14, min=1, max=365,
                    help="How many days of sales the customer should hold after a delivery."),
            Setting("history_days", "int", label="Demand from the last (days)", default=28, min=7, max=365),
        ),
        admin_menu=(("Replenishment", "/replenishment"),),
        storefront_menu=(("Restock", "/replenishment"),),
    )

    @hookimpl
    async def qudao_storefront_panels(self, ctx: Any) -> list[Any]:
        """A short "suggested for you" list on the buyer's home, linking to the one-click page."""
        from qudao.plugins.replenishment import service
        from qudao.plugins.replenishment.texts import translate

        plan = await service.suggest(ctx, ctx.customer)
        lines = [line for line in plan["lines"] if line["suggested_qty"] > 0]
        if not lines:
            return []
        return [Panel(title=translate(ctx, "Suggested for you"), template="replenishment/_panel.html",
                      context={"lines": lines[:5], "count": len(lines)}, order=20, url="/replenishment")]


plugin = ReplenishmentPlugin()
