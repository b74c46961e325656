"""Guests order at retail prices without an account; share links (单品分享营销).

* ``qudao_guest_checkout_allowed``: on → the core accepts token-less ``POST /cart/quote`` and
  ``POST /orders`` with ``guest: {name, phone, address}``; guests pay ``retail_price`` and a
  product without one is ``unknown_product``. Guest orders are stored with ``order.guest`` and
  start at ``submitted`` (they go through approval like every order).
* What guests see: settings ``categories`` / ``brands`` (comma-separated codes; empty = all;
  a category includes its sub-categories; with both set a product must match both),
  applied through ``qudao_product_criteria`` when ``ctx.guest`` is set.
* Rate limits: at placement, a guest who already placed ``max_orders_per_ip`` orders from the
  same IP, or ``max_orders_per_phone`` for the same phone, within ``rate_window_minutes``, gets
  the violation ``guest_rate_limited`` (0 = no limit). Placed guest orders are recorded in
  ``guest_checkout_attempts`` in the order's transaction.
* Share links: ``POST /share-links {sku}`` (any signed-in buyer or staff member) → a code;
  ``/t/{slug}/s/{code}`` counts a click, sets the ``qd_share`` cookie and redirects to the
  product; an order placed with that cookie (or the ``X-Qudao-Share`` header, or
  ``cart.info["share"]`` if the core fills it) is attributed to the link. Admins see clicks and
  orders per link.
* A guest becomes a customer in one step: ``POST /guest-orders/{number}/customer {code, …}``
  or the button on the admin page.
"""

from __future__ import annotations

from typing import Any

from qudao.core.plugin_api import PluginMeta, RoutedPlugin, Setting, Violation, hookimpl
from qudao.plugins.guest_checkout import models  # noqa: F401 - registers guest_checkout_* tables


class GuestCheckoutPlugin(RoutedPlugin):
    meta = PluginMeta(
        name="guest_checkout", title="Guest checkout 游客下单", version="0.1.0",
        description="Guests order at retail prices without an account; share links.",
        settings=(
            Setting("categories", "str", "Categories guests see",
                    help="Comma-separated category codes (with their sub-categories); empty = all."),
            Setting("brands", "str", "Brands guests see", help="Comma-separated brand codes; empty = all."),
            Setting("max_orders_per_ip", "int", "Guest orders per IP per window", default=20, min=0, max=100000),
            Setting("max_orders_per_phone", "int", "Guest orders per phone per window", default=5, min=0,
                    max=100000),
            Setting("rate_window_minutes", "int", "Rate-limit window (minutes)", default=60, min=1,
                    max=7 * 24 * 60),
        ),
        admin_menu=(("Guests & sharing", "/guest-checkout"),),
    )

    @hookimpl
    def qudao_guest_checkout_allowed(self, ctx: Any) -> bool:
        return True

    @hookimpl
    def qudao_storefront_menu(self, ctx: Any) -> list[tuple[str, str]]:
        """Not the declared kind (buyers only): a visitor gets "order as a guest"."""
        if getattr(ctx, "user", None) is None:
            return [("Order as a guest", "/guest")]
        return [("Shared links", "/share-links")]

    @hookimpl
    def qudao_product_criteria(self, ctx: Any) -> list[Any]:
        if getattr(ctx, "guest", None) is None or getattr(ctx, "user", None) is not None:
            return []
        from qudao.plugins.guest_checkout.service import guest_criteria

        return guest_criteria(ctx)

    @hookimpl
    async def qudao_validate_cart(self, ctx: Any, cart: Any, placing: bool) -> list[Any]:
        if not placing or getattr(ctx, "guest", None) is None or getattr(ctx, "user", None) is not None:
            return []
        from qudao.plugins.guest_checkout.service import rate_violations

        return [Violation("guest_rate_limited", message) for message in await rate_violations(ctx)]

    @hookimpl
    def qudao_order_placed(self, ctx: Any, order: Any, cart: Any) -> list[Any]:
        # Synchronous on purpose: only adds rows to the placement's unit of work.
        from qudao.plugins.guest_checkout import service

        if getattr(ctx, "guest", None) is not None and getattr(ctx, "user", None) is None:
            service.record_attempt(ctx, order)
        code = service.share_code_from(ctx, cart)
        if code is not None:
            service.record_share_order(ctx, order, code)
        return []


plugin = GuestCheckoutPlugin()
