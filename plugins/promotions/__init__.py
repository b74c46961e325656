"""Promotions: threshold discounts, gifts, special prices, bundles and coupons.

Works only through hooks: special prices in ``qudao_adjust_lines``; bundles, threshold
discounts, coupons and gifts in ``qudao_order_adjustments`` (both also lock the qualifying
lines' quantities of a ``lock_qty`` promotion); purchase limits and coupon checks in
``qudao_validate_cart``; usage is recorded in ``qudao_order_placed``, re-checked and
re-synced in ``qudao_order_edited`` (a staff edit) and given back in
``qudao_order_status_changed`` (cancelled / rejected); product badges in
``qudao_product_badges``. This module only wires the hooks: the math lives in ``rules.py``;
applying it to a cart in ``evaluate.py``; coupon checks and purchase limits in ``limits.py``;
the database work in ``fields.py`` + ``editing.py`` (validate and store), ``views.py`` (read
and show), ``offers.py`` (what applies to a buyer) and ``redemptions.py`` (use under the
limits); the badges in ``badges.py``.
"""

from __future__ import annotations

from typing import Any

from qudao.core.plugin_api import PluginMeta, RoutedPlugin, Violation, hookimpl
from qudao.plugins.promotions import (
    badges,
    evaluate,
    limits,
    models,  # noqa: F401 - registers the promotions_* tables
    redemptions,
)

RELEASING = ("cancelled", "rejected")


def resold(cart: Any) -> bool:
    """A distributor's sale to one of its stores (core/channels): the brand's promotions fund only
    the brand's own sales."""
    return bool(getattr((getattr(cart, "info", None) or {}).get("seller"), "customer_id", None))


class PromotionsPlugin(RoutedPlugin):
    meta = PluginMeta(
        name="promotions", title="Promotions 促销", version="0.1.0",
        description="Promotions: threshold discounts, gifts, special prices, bundles and coupons.",
        admin_menu=(("Promotions", "/promotions"),),
    )

    # --- menus -----------------------------------------------------------------

    @hookimpl
    def qudao_storefront_menu(self, ctx: Any) -> list[tuple[str, str]]:
        """Not the declared kind (buyers only): visitors see the promotions too."""
        return [("Promotions", "/promotions")]

    # --- checkout pipeline -----------------------------------------------------

    @hookimpl
    async def qudao_adjust_lines(self, ctx: Any, cart: Any) -> None:
        if not resold(cart):
            await evaluate.adjust_lines(ctx, cart)

    @hookimpl
    async def qudao_order_adjustments(self, ctx: Any, cart: Any) -> list[Any]:
        return [] if resold(cart) else await evaluate.order_adjustments(ctx, cart)

    @hookimpl
    async def qudao_validate_cart(self, ctx: Any, cart: Any, placing: bool) -> list[Any]:
        return [] if resold(cart) else await limits.check_cart(ctx, cart, placing)

    @hookimpl
    async def qudao_order_placed(self, ctx: Any, order: Any, cart: Any) -> list[Any]:
        merged = evaluate.merged(cart.info.get("promotions") or {})
        if not merged:
            return []
        refusals = await redemptions.record(ctx, order, list(merged.values()))
        return [Violation(code, message) for code, message in refusals]

    @hookimpl
    async def qudao_order_edited(self, ctx: Any, order: Any, cart: Any, old_total: Any) -> list[Any]:
        """A clerk changed a submitted order: re-check the purchase limits (限购) on the
        re-priced cart (per customer: the customer's other orders, not this one), then make
        the order's recorded promotion uses follow the edit."""
        info = cart.info.get("promotions") or {}
        # a special price counts only while its line still carries it (a clerk may set another price)
        sources = {li.sku: li.source for li in cart.lines if not li.gift}
        info = {**info, "lines": [e for e in info.get("lines", [])
                                  if sources.get(e["sku"]) == f"promotions:{e['code']}"]}
        merged = evaluate.merged(info)
        violations = await limits.edit_limits(ctx, order, cart, merged)
        if violations:
            return violations
        refusals = await redemptions.resync(ctx, order, list(merged.values()))
        return [Violation(code, message) for code, message in refusals]

    @hookimpl
    async def qudao_product_badges(self, ctx: Any, products: list[Any]) -> dict[int, list[str]]:
        return await badges.product_badges(ctx, products)

    @hookimpl
    async def qudao_order_status_changed(self, ctx: Any, order: Any, old: str, new: str, note: str) -> None:
        if new in RELEASING and old not in RELEASING:
            await redemptions.release(ctx, order)


plugin = PromotionsPlugin()
