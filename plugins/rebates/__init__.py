"""Rebates (返利): programs, accrual at receipt, period settlement, approval, and deduction.

Works only through hooks:

* accrual in ``qudao_order_status_changed`` when an order becomes ``received`` (and a
  reversal if a received order ever ends), see ``accrual.py``;
* the deduction at checkout in ``qudao_order_deductions`` (after promotions, so the cap reads
  the subtotal after them), refused in ``qudao_validate_cart`` when asked for more than allowed,
  taken with a conditional UPDATE in ``qudao_order_placed``, given back on reject/cancel in
  ``qudao_order_status_changed``, re-checked in ``qudao_order_edited``, see ``checkout.py``;
* progress panels on the storefront home and the admin dashboard (``qudao_*_panels``);
* settlement (close a period → pending entries → approve/reject → account credit) in
  ``settlement.py``, run from the admin, the API and the ``rebates.close_period`` job.
"""

from __future__ import annotations

from typing import Any

from qudao.core.plugin_api import PluginMeta, RoutedPlugin, Setting, hookimpl
from qudao.plugins.rebates import (
    accrual,
    checkout,
    jobs,  # noqa: F401 - registers the rebates.* jobs
    models,  # noqa: F401 - registers the rebates_* tables
    panels,
)

PLUGIN = "rebates"


class RebatesPlugin(RoutedPlugin):
    meta = PluginMeta(
        name=PLUGIN, title="Rebates 返利", version="0.1.0",
        description="Rebate programs (tiered or per unit), accrual at receipt, settlement with approval, "
                    "and rebate deductions at checkout.",
        settings=(
            Setting("auto_close", "bool", label="Close ended periods automatically (daily job)", default=True,
                    help="The rebates.close_due job closes every program's periods that ended; entries still "
                         "wait for approval."),
        ),
        actors=("rebates.close_period", "rebates.close_due"),
        admin_menu=(("Rebates", "/rebates"),),
        storefront_menu=(("My rebates", "/rebates"),),
    )

    # --- panels: panels.py's functions take the hooks' arguments and are their implementations

    qudao_storefront_panels = staticmethod(hookimpl(panels.storefront))
    qudao_checkout_panels = staticmethod(hookimpl(panels.checkout_panel))
    qudao_dashboard_panels = staticmethod(hookimpl(panels.dashboard))
    qudao_dashboard_todos = staticmethod(hookimpl(panels.todos))

    # --- checkout: the deduction -------------------------------------------------

    @hookimpl
    async def qudao_order_deductions(self, ctx: Any, cart: Any) -> list[Any]:
        return await checkout.deductions(ctx, cart)

    @hookimpl
    def qudao_validate_cart(self, ctx: Any, cart: Any, placing: bool) -> list[Any]:
        return checkout.violations(cart)

    @hookimpl
    async def qudao_order_placed(self, ctx: Any, order: Any, cart: Any) -> list[Any]:
        return await checkout.take(ctx, order, cart)

    @hookimpl(tryfirst=True)  # before credit and payments read the order's new total
    async def qudao_order_edited(self, ctx: Any, order: Any, cart: Any, old_total: Any) -> list[Any]:
        return await checkout.edited(ctx, order, cart)

    # --- order lifecycle: accrual and release ------------------------------------

    @hookimpl
    async def qudao_order_status_changed(self, ctx: Any, order: Any, old: str, new: str, note: str) -> None:
        if new == "received":
            await accrual.accrue(ctx, order)
        elif new in accrual.ENDING:
            if new in checkout.RELEASING:
                await checkout.restore(ctx, order, new)
            if old == "received":
                await accrual.reverse(ctx, order)


plugin = RebatesPlugin()
