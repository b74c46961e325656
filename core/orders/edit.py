"""Staff editing a submitted order before approving it: quantities and prices, audited.

The order is re-priced through the same pipeline as a quote (order adjustments and
gifts follow the new lines), with each line keeping the unit price it was ordered at
unless the clerk sets another. Stock moves by the difference only, with the same
conditional updates as placement; plugins adjust what they hold (credit) or refuse
through ``qudao_order_edited``; the change is one ``edited`` event whose ``detail``
keeps every line's before and after.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, select, update

from qudao.core.catalog.models import Product
from qudao.core.customers.models import Customer
from qudao.core.errors import Conflict, Forbidden, InputError, Refused
from qudao.core.inventory import service as stock
from qudao.core.money import fmt, quantize
from qudao.core.orders.cart import Cart
from qudao.core.orders.checkout import MAX_QTY, PriceOverride, needed_stock, price_cart
from qudao.core.orders.flow import STAFF_ROLES_FOR
from qudao.core.orders.models import Order, OrderAdjustment, OrderEvent, OrderLine
from qudao.core.orders.service import write_lines
from qudao.core.plugins.context import TenantContext
from qudao.core.plugins.host import gather_hook

MAX_PRICE = Decimal("100000000")


def _parse(body: dict[str, Any], current: dict[str, OrderLine]) -> tuple[dict[str, int], dict[str, Decimal], str]:
    """``{lines: [{sku, qty, unit_price?}], reason}``: the new quantity (0 removes) and price of
    existing lines; lines not named keep their quantity and price."""
    raw = body.get("lines")
    if not isinstance(raw, list) or not raw:
        raise InputError("name at least one line to change", field="lines")
    reason = body.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
        raise InputError("must be text of at most 500 characters", field="reason")
    errors: list[dict[str, str]] = []
    qty: dict[str, int] = {}
    prices: dict[str, Decimal] = {}
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            errors.append({"field": f"lines[{i}]", "message": "must be an object {sku, qty, unit_price}"})
            continue
        sku = item.get("sku")
        if not isinstance(sku, str) or sku.strip() not in current:
            errors.append({"field": f"lines[{i}].sku", "message": f"'{sku}' is not a line of this order"})
            continue
        sku = sku.strip()
        if sku in qty:
            errors.append({"field": f"lines[{i}].sku", "message": f"'{sku}' is named twice"})
            continue
        q = item.get("qty", current[sku].qty)
        if isinstance(q, bool) or not isinstance(q, int) or q < 0 or q > MAX_QTY:
            errors.append({"field": f"lines[{i}].qty", "message": f"must be a whole number from 0 to {MAX_QTY}"})
            continue
        qty[sku] = q
        if item.get("unit_price") not in (None, ""):
            try:
                price = Decimal(str(item["unit_price"]))
            except InvalidOperation:
                price = Decimal("-1")
            if isinstance(item["unit_price"], bool | float) or not price.is_finite() or price < 0 \
                    or price >= MAX_PRICE or price != price.quantize(Decimal("0.01")):
                errors.append({"field": f"lines[{i}].unit_price",
                               "message": "must be an amount like 12.50, not negative"})
                continue
            prices[sku] = price
    if errors:
        raise InputError(errors)
    return qty, prices, (reason or "").strip()


async def edit_order(ctx: TenantContext, order: Order, body: dict[str, Any]) -> Order:
    """Change quantities/prices of a submitted order's bought lines, re-price it, commit."""
    user = ctx.user
    if user is None or user.kind != "staff":
        raise Forbidden("only the brand's staff can edit an order")
    if user.role not in ("owner", "admin", *STAFF_ROLES_FOR["approved"]):
        raise Forbidden(f"needs one of the roles: {', '.join(STAFF_ROLES_FOR['approved'])}")
    session, status = ctx.session, order.status
    # Take the order's row first (a no-op UPDATE locks it on PostgreSQL), so an approval or a
    # second edit waits for this one and then sees its result.
    locked = await session.execute(update(Order).where(Order.id == order.id, Order.status == "submitted")
                                   .values(status="submitted").execution_options(synchronize_session=False))
    if locked.rowcount != 1:
        await session.rollback()
        raise Conflict(f"only a submitted order can be edited; this one is {status}")
    try:
        await _apply(ctx, order, body)
    except Exception:
        await session.rollback()
        raise
    await session.commit()
    return order


async def _apply(ctx: TenantContext, order: Order, body: dict[str, Any]) -> None:
    session, user = ctx.session, ctx.user
    assert user is not None
    await session.refresh(order)
    if order.paid_amount and order.paid_amount > 0:
        raise Conflict("the order has payments; refund them before editing it")
    old_lines = (await session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)
                                       .order_by(OrderLine.line_no))).all()
    bought = {ln.sku: ln for ln in old_lines if not ln.gift}
    qty, prices, reason = _parse(body, bought)
    refusals = [f"'{sku}': the quantity is locked by the promotion {ln.locked_by}"
                for sku, ln in bought.items() if ln.locked_by and qty.get(sku, ln.qty) != ln.qty]
    if refusals:
        raise Refused([{"code": "quantity_locked", "message": m} for m in refusals])
    requested = [(sku, qty.get(sku, ln.qty)) for sku, ln in bought.items() if qty.get(sku, ln.qty) > 0]
    if not requested:
        raise InputError("an order keeps at least one line; cancel or reject it instead", field="lines")

    prices = {sku: price for sku, price in prices.items() if price != bought[sku].unit_price}  # changes only
    products = {p.sku: p for p in (await session.scalars(
        select(Product).where(Product.id.in_([ln.product_id for ln in bought.values()])))).all()}
    floors = [f"'{sku}' cannot be sold below the HQ price floor {fmt(products[sku].floor_price, order.currency)}"
              for sku, price in prices.items()
              if products[sku].floor_price is not None and price < products[sku].floor_price]
    if floors:
        raise Refused([{"code": "below_price_floor", "message": m} for m in floors])
    overrides = {sku: PriceOverride(ln.unit_price, ln.price_source, ln.price_source) for sku, ln in bought.items()}
    overrides.update({sku: PriceOverride(price, "manual", "Set by staff") for sku, price in prices.items()})

    customer = (await session.get(Customer, (order.tenant_id, order.customer_id))
                if order.customer_id is not None else None)
    as_customer = TenantContext(tenant=ctx.tenant, session=session, hooks=ctx.hooks,
                                plugin_settings=ctx.plugin_settings, user=user, customer=customer,
                                guest=order.guest if customer is None else None)
    cart = Cart(currency=order.currency, coupon=(order.extra or {}).get("coupon"))
    cart.info["edited_order_id"] = order.id  # plugins re-check what they gave this order (a rebate used)
    await price_cart(as_customer, cart, requested, products, overrides)
    for line in cart.lines:
        old = bought.get(line.sku)
        if old is not None and not line.gift and old.locked_by and not line.locked_by:
            line.locked_by = old.locked_by  # a lock stays with the line it was given to
    if cart.violations:  # line rules (minimums, multiples) hold for staff too
        raise Refused([v.as_dict() for v in cart.violations])
    cart.warehouse_id = order.warehouse_id

    await _move_stock(ctx, order, old_lines, cart)
    old_total = order.total
    detail = _audit(order, old_lines, cart, reason)
    if not detail["lines"]:
        raise InputError("nothing to change: the quantities and prices are as they were", field="lines")
    await session.execute(delete(OrderLine).where(OrderLine.order_id == order.id))
    await session.execute(delete(OrderAdjustment).where(OrderAdjustment.order_id == order.id))
    write_lines(session, order, cart)
    order.subtotal, order.discount, order.total = cart.subtotal, cart.discount, cart.total
    session.add(OrderEvent(order_id=order.id, status="edited", note=_summary(detail), user_id=user.id,
                           detail=detail))
    await session.flush()
    found = []
    for items in await gather_hook(ctx.hooks.qudao_order_edited, ctx=ctx, order=order, cart=cart,
                                   old_total=old_total):
        found.extend(items or [])
    if found:
        raise Refused([v.as_dict() for v in found])




async def _move_stock(ctx: TenantContext, order: Order, old_lines: Any, cart: Cart) -> None:
    """Reserve what the edit adds, release what it removes (gifts included)."""
    if order.warehouse_id is None:
        return
    before: dict[int, int] = {}
    for ln in old_lines:
        before[ln.product_id] = before.get(ln.product_id, 0) + ln.qty
    after = needed_stock(cart)
    more = {pid: q - before.get(pid, 0) for pid, q in after.items() if q > before.get(pid, 0)}
    less = {pid: q - after.get(pid, 0) for pid, q in before.items() if q > after.get(pid, 0)}
    user_id = ctx.user.id if ctx.user else None
    if more:
        short = await stock.reserve_many(ctx.session, order.warehouse_id, more,
                                         count_in_transit=stock.counts_in_transit(ctx.tenant),
                                         order_number=order.number)
        if short:
            skus = {line.product.id: line.sku for line in cart.lines}
            await ctx.session.rollback()
            raise Refused([{"code": "insufficient_stock", "message": f"Not enough '{skus[pid]}' in stock."}
                           for pid in short])
    for pid, q in sorted(less.items()):
        await stock.release(ctx.session, order.warehouse_id, pid, q, order_number=order.number, user_id=user_id)
    await stock.report_low_stock(ctx)  # qudao_stock_low for thresholds the added quantities crossed


def _audit(order: Order, old_lines: Any, cart: Cart, reason: str) -> dict[str, Any]:
    def key(sku: str, gift: bool) -> str:
        return f"{sku}{' (gift)' if gift else ''}"

    before = {key(ln.sku, ln.gift): (ln.qty, ln.unit_price) for ln in old_lines}
    after = {key(ln.sku, ln.gift): (ln.qty, ln.unit_price) for ln in cart.lines}
    changes = []
    for k in [*before, *(k for k in after if k not in before)]:
        b, a = before.get(k, (0, None)), after.get(k, (0, None))
        if b != a:
            changes.append({"line": k, "qty": [b[0], a[0]],
                            "unit_price": [None if b[1] is None else fmt(b[1], order.currency),
                                           None if a[1] is None else fmt(a[1], order.currency)]})
    return {"reason": reason, "lines": changes,
            "total": [fmt(order.total, order.currency), fmt(quantize(cart.total, order.currency), order.currency)]}


def _summary(detail: dict[str, Any]) -> str:
    parts = []
    for c in detail["lines"]:
        part = f"{c['line']}: {c['qty'][0]}→{c['qty'][1]}"
        if c["unit_price"][0] != c["unit_price"][1] and c["unit_price"][0] and c["unit_price"][1]:
            part += f" @ {c['unit_price'][0]}→{c['unit_price'][1]}"
        parts.append(part)
    text = "; ".join(parts) + f"; total {detail['total'][0]}→{detail['total'][1]}"
    if detail["reason"]:
        text = f"{detail['reason']} ({text})"
    return text[:1000]
