"""The checkout pipeline, shared by quote and order so an order always equals its quote.

price lines (engine) → line adjustments (hooks: special prices) → totals →
order adjustments (hooks: discounts, gifts) → validations (core rules, stock,
hooks: credit, …). Placement then reserves stock and lets plugins act, all in
the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from qudao.core.catalog.models import Product
from qudao.core.channels import prices as channel_prices
from qudao.core.channels.sellers import as_seller_ctx, cart_warehouse, seller_for_cart
from qudao.core.db.base import utcnow
from qudao.core.db.prepared import in_list, prepared
from qudao.core.db.session import on_postgresql
from qudao.core.errors import InputError
from qudao.core.inventory.service import availability, counts_in_transit
from qudao.core.money import quantize
from qudao.core.orders.cart import Adjustment, Cart, CartLine, GiftLine, Violation
from qudao.core.orders.rules import check_rules
from qudao.core.plugins.context import TenantContext
from qudao.core.plugins.host import gather_hook

MAX_LINES = 500
MAX_QTY = 100_000


def parse_lines(raw: Any) -> list[tuple[str, int]]:
    """Validate requested lines; duplicates of a SKU are merged. Bad input raises InputError."""
    if not isinstance(raw, list) or not raw:
        raise InputError("add at least one product", field="lines")
    if len(raw) > MAX_LINES:
        raise InputError(f"at most {MAX_LINES} lines per order", field="lines")
    errors: list[dict[str, str]] = []
    merged: dict[str, int] = {}
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            errors.append({"field": f"lines[{i}]", "message": "must be an object {sku, qty}"})
            continue
        sku, qty = item.get("sku"), item.get("qty")
        if not isinstance(sku, str) or not sku.strip() or len(sku) > 64:
            errors.append({"field": f"lines[{i}].sku", "message": "is required"})
            continue
        if isinstance(qty, bool) or not isinstance(qty, int):
            errors.append({"field": f"lines[{i}].qty", "message": "must be a whole number"})
            continue
        if qty <= 0:
            errors.append({"field": f"lines[{i}].qty", "message": "must be at least 1"})
            continue
        if qty > MAX_QTY:
            errors.append({"field": f"lines[{i}].qty", "message": f"must be at most {MAX_QTY}"})
            continue
        merged[sku.strip()] = merged.get(sku.strip(), 0) + qty
    if errors:
        raise InputError(errors)
    if any(q > MAX_QTY for q in merged.values()):
        raise InputError(f"at most {MAX_QTY} of one product", field="lines")
    return list(merged.items())


async def product_criteria(ctx: TenantContext) -> list[Any]:
    """What plugins allow the current buyer or guest to see (e.g. brand access); staff see all."""
    if ctx.is_staff:
        return []
    return [c for criteria in await gather_hook(ctx.hooks.qudao_product_criteria, ctx=ctx) for c in criteria or []]


async def visible_products(ctx: TenantContext, skus: list[str]) -> dict[str, Product]:
    """Products the current buyer may see and order (plugins add criteria, e.g. brand access)."""
    criteria = await product_criteria(ctx)
    if criteria:  # plugins' conditions differ by buyer: built for this one
        found = await ctx.session.scalars(select(Product).where(Product.sku.in_(skus), Product.active.is_(True),
                                                                *criteria))
    else:
        found = await ctx.session.scalars(_products_by_sku(on_postgresql(ctx.session)), {"skus": skus})
    return {p.sku: p for p in found.all()}


@prepared
def _products_by_sku(postgresql: bool) -> Any:
    return select(Product).where(in_list(Product.sku, "skus", postgresql), Product.active.is_(True))


async def build_cart(ctx: TenantContext, body: dict[str, Any], *, placing: bool = False) -> Cart:
    """Price the requested lines and check them: the quote, and the order before it is written."""
    requested = parse_lines(body.get("lines"))
    coupon = body.get("coupon")
    if coupon is not None and (not isinstance(coupon, str) or len(coupon) > 64):
        raise InputError("must be a coupon code", field="coupon")
    cart = Cart(currency=ctx.tenant.currency, coupon=coupon or None, request=body)
    share = body.get("share")
    if isinstance(share, str) and 0 < len(share) <= 64:
        cart.info["share"] = share  # a share-link code, for plugins that attribute orders
    await seller_for_cart(ctx, cart, body)  # the brand, or the buyer's distributor (core/channels)
    products = await visible_products(as_seller_ctx(ctx, cart), [sku for sku, _ in requested])
    await price_cart(ctx, cart, requested, products)
    await validate_cart(ctx, cart, placing=placing)
    return cart


@dataclass
class PriceOverride:
    """A unit price set by hand (a clerk editing an order) instead of the price engine's."""

    price: Decimal
    source: str
    label: str


async def price_cart(ctx: TenantContext, cart: Cart, requested: list[tuple[str, int]],
                     products: dict[str, Product], overrides: dict[str, PriceOverride] | None = None) -> None:
    """Lines, line adjustments, totals and order adjustments (discounts, gifts) of ``cart``.

    ``overrides`` replace a line's price after the plugins' line adjustments, so order
    adjustments (e.g. a threshold discount) see the prices that will be charged.
    """
    currency = cart.currency
    quantities = {products[sku].id: qty for sku, qty in requested if sku in products}
    prices = await channel_prices.resolve_for_cart(ctx, cart, list(products.values()), quantities)
    for sku, qty in requested:
        product = products.get(sku)
        resolved = prices.get(product.id) if product else None
        if product is None or resolved is None:
            cart.violations.append(Violation("unknown_product", f"Product '{sku}' is not available to you."))
            continue
        if qty < (product.min_qty or 1):
            cart.violations.append(Violation("min_product_qty",
                                             f"'{sku}' is sold in quantities of at least {product.min_qty}."))
        if product.order_multiple and product.order_multiple > 1 and qty % product.order_multiple:
            cart.violations.append(Violation("order_multiple",
                                             f"'{sku}' is sold in multiples of {product.order_multiple}."))
        cart.lines.append(CartLine(product=product, qty=qty, unit_price=resolved.price, source=resolved.source,
                                   source_label=resolved.label))
    await gather_hook(ctx.hooks.qudao_adjust_lines, ctx=ctx, cart=cart)
    for line in cart.lines:
        override = (overrides or {}).get(line.sku)
        if override is not None:
            line.unit_price, line.source, line.source_label = override.price, override.source, override.label
        line.unit_price = quantize(line.unit_price, currency)
        line.line_total = quantize(line.unit_price * line.qty, currency)
    cart.subtotal = quantize(sum((line.line_total for line in cart.lines), Decimal("0")), currency)

    results = await gather_hook(ctx.hooks.qudao_order_adjustments, ctx=ctx, cart=cart)
    gifts: list[GiftLine] = []
    for items in results:
        for item in items or []:
            if isinstance(item, Adjustment):
                cart.adjustments.append(Adjustment(item.source, item.label, quantize(item.amount, currency),
                                                   item.kind))
            elif isinstance(item, GiftLine):
                gifts.append(item)
    if gifts:
        await _add_gifts(ctx, cart, gifts)
    _totals(cart)
    # Deductions (rebates, stored value) pay part of what is left after every discount.
    deductions = [item for items in await gather_hook(ctx.hooks.qudao_order_deductions, ctx=ctx, cart=cart)
                  for item in items or [] if isinstance(item, Adjustment)]
    for item in deductions:
        amount = min(max(-quantize(item.amount, currency), Decimal("0")), cart.total)
        cart.adjustments.append(Adjustment(item.source, item.label, -amount, item.kind))
        _totals(cart)


def _totals(cart: Cart) -> None:
    """Discount = the adjustments, capped at the subtotal; total = subtotal - discount."""
    discount = -sum((a.amount for a in cart.adjustments), Decimal("0"))
    cart.discount = quantize(min(max(discount, Decimal("0")), cart.subtotal), cart.currency)
    cart.total = quantize(cart.subtotal - cart.discount, cart.currency)


async def validate_cart(ctx: TenantContext, cart: Cart, *, placing: bool) -> None:
    """Core order rules, stock at the buyer's warehouse, then the plugins' checks (credit, …).

    When placing, stock is not read here: the reservation's conditional UPDATE is the check that
    counts, and the caller reads stock (``check_stock``) only for a refusal's messages.
    """
    cart.violations.extend(check_rules(ctx.tenant, cart, utcnow()))
    cart.warehouse_id = await cart_warehouse(ctx, cart)
    if not placing:
        await check_stock(ctx, cart)
    for found in await gather_hook(ctx.hooks.qudao_validate_cart, ctx=ctx, cart=cart, placing=placing):
        cart.violations.extend(found or [])


async def _add_gifts(ctx: TenantContext, cart: Cart, gifts: list[GiftLine]) -> None:
    skus = {g.sku for g in gifts}
    products = {p.sku: p for p in (await ctx.session.scalars(
        select(Product).where(Product.sku.in_(skus), Product.active.is_(True)))).all()}
    for gift in gifts:
        product = products.get(gift.sku)
        if product is None or gift.qty <= 0:
            continue
        cart.lines.append(CartLine(product=product, qty=gift.qty, unit_price=quantize(Decimal("0"), cart.currency),
                                   source=gift.source,
                                   source_label=gift.label or "Gift", gift=True, gift_source=gift.source,
                                   line_total=quantize(Decimal("0"), cart.currency)))


def needed_stock(cart: Cart) -> dict[int, int]:
    need: dict[int, int] = {}
    for line in cart.lines:
        need[line.product.id] = need.get(line.product.id, 0) + line.qty
    return need


async def check_stock(ctx: TenantContext, cart: Cart) -> None:
    """``insufficient_stock`` violations for lines the cart's warehouse cannot fill now."""
    need = needed_stock(cart)
    avail = await availability(ctx.session, cart.warehouse_id, need, counts_in_transit(ctx.tenant))
    by_id = {line.product.id: line.product for line in cart.lines}
    for pid, qty in need.items():
        have = avail.get(pid, 0)
        if qty > have:
            cart.violations.append(Violation(
                "insufficient_stock", f"Only {have} of '{by_id[pid].sku}' available; you asked for {qty}."))
