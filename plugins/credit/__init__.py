"""Credit limits, payment terms and receivables per customer.

Semantics (API contract): with the plugin on, an order uses credit from
``submitted`` until it is paid, rejected or cancelled, and an order that would
take ``used`` above ``limit`` is refused with ``credit_limit_exceeded`` (the
message names the amount to settle). Credit applies only to customers that have
a credit account (``PUT /credit/{customer}``); others order unrestricted.
"""

from __future__ import annotations

from typing import Any

from qudao.core.plugin_api import PluginMeta, RoutedPlugin, Setting, hookimpl

ORDER_RELEASE_STATUSES = ("rejected", "cancelled")


def resold(cart: Any = None, order: Any = None) -> bool:
    """A distributor's sale to one of its stores (the cart's seller or the order's seller is a
    customer): the brand's credit line does not pay for it."""
    seller = (getattr(cart, "info", None) or {}).get("seller") if cart is not None else None
    return bool(getattr(seller, "customer_id", None) or getattr(order, "seller_customer_id", None))


class CreditPlugin(RoutedPlugin):
    meta = PluginMeta(
        name="credit", title="Credit 信用额度", version="0.1.0",
        description="Credit limits, payment terms and receivables per customer.",
        settings=(
            Setting("default_terms_days", "int", label="Default payment terms (days)", default=30, min=0,
                    max=3650, help="Due date of an order = order date + terms; a customer's own terms win."),
            Setting("block_overdue", "bool", label="Block new orders while a balance is overdue", default=False,
                    help="A customer's own setting wins over this default."),
            Setting("warn_at_percent", "int", label="Warn when credit used reaches (% of the limit)", default=80,
                    min=0, max=100, help="Buyers get a credit warning (e.g. over WeChat) once; 0 turns it off."),
        ),
        admin_menu=(("Credit", "/credit"),),
        storefront_menu=(("My credit", "/credit"),),
    )

    @hookimpl
    async def qudao_dashboard_todos(self, ctx: Any) -> list[Any]:
        from qudao.plugins.credit.dashboard import overdue_todo

        return await overdue_todo(ctx)

    @hookimpl
    async def qudao_order_facts(self, ctx: Any, orders: list[Any]) -> dict[int, list[Any]]:
        from qudao.plugins.credit.dashboard import order_facts

        return await order_facts(ctx, orders)

    @hookimpl
    async def qudao_validate_cart(self, ctx: Any, cart: Any, placing: bool) -> list[Any]:
        from qudao.plugins.credit.holds import check_amount

        customer = getattr(ctx, "customer", None)
        if customer is None or resold(cart):
            return []
        return await check_amount(ctx, customer.id, cart.total)

    @hookimpl
    async def qudao_order_placed(self, ctx: Any, order: Any, cart: Any) -> list[Any]:
        from qudao.plugins.credit.holds import take_for_order

        if resold(cart, order):
            return []
        return await take_for_order(ctx, order)

    @hookimpl
    async def qudao_order_edited(self, ctx: Any, order: Any, cart: Any, old_total: Any) -> list[Any]:
        from qudao.plugins.credit.holds import order_edited

        return await order_edited(ctx, order)

    @hookimpl
    async def qudao_order_status_changed(self, ctx: Any, order: Any, old: str, new: str, note: str) -> None:
        if new in ORDER_RELEASE_STATUSES:
            from qudao.plugins.credit.holds import close_order

            await close_order(ctx, order, paid=False, note=f"order {new}" + (f": {note}" if note else ""))

    @hookimpl
    async def qudao_order_paid(self, ctx: Any, order: Any) -> None:
        from qudao.plugins.credit.holds import close_order

        await close_order(ctx, order, paid=True, note="order paid")


plugin = CreditPlugin()
