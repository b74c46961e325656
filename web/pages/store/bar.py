"""The sticky cart bar every storefront page shows a buyer: items, running total and what the
buyer saves against list prices (their own prices and the promotions), priced by the same
pipeline as checkout; and its HTMX refresh after an add."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import get
from litestar.response import Response

from qudao.core.errors import QudaoError
from qudao.core.orders import carts
from qudao.core.orders.checkout import build_cart
from qudao.web.context import RequestContext


async def cart_bar(ctx: RequestContext) -> dict[str, Any] | None:
    """None for visitors and staff; else {count, total, savings} (total None if it cannot be priced)."""
    if ctx.user is None or ctx.customer is None:
        return None
    items = await carts.cart_items(ctx.session, ctx.user.id)
    count = sum(i.qty for i, _p in items)
    bar: dict[str, Any] = {"count": count, "lines": len(items), "total": None, "savings": Decimal("0")}
    if not items:
        return bar
    try:
        quote = await build_cart(ctx, {"lines": [{"sku": p.sku, "qty": i.qty} for i, p in items],
                                       "coupon": await carts.get_coupon(ctx.session, ctx.user.id)})
    except QudaoError:
        return bar
    listed = sum((line.product.price * line.qty for line in quote.bought_lines), Decimal("0"))
    bar["total"] = quote.total
    bar["savings"] = max(listed - quote.total, Decimal("0"))
    return bar


@get("/cart/bar")
async def cart_bar_fragment(ctx: RequestContext) -> Response[Any]:
    """HTMX (after an add or a change): the bar again, with the new running total."""
    from qudao.web.pages.store.base import page, use_locale

    use_locale(ctx)
    return await page(ctx, "store/_cart_bar.html")


HANDLERS = [cart_bar_fragment]
