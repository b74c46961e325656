"""Attainment: what the orders of a target's period, customers and products add up to.

One grouped query answers every target of a report, whatever their number: it sums the
bought lines (gifts excluded, before order-level discounts) per customer and product, with
one conditional sum per (period, counting rule) the targets need. Matching a target to those
rows (its region, type, customer, rep; its brand, category or SKUs) is done in Python.

Counting rules:
* ``placed``: orders created in the period, not rejected or cancelled;
* ``approved``: orders approved in the period (first approval), not cancelled since;
* ``received``: orders whose receipt the buyer confirmed in the period.

With multi-level channels, only the brand's own sales count (orders with no reseller seller).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select

from qudao.core.catalog.models import Product
from qudao.core.customers.models import Customer
from qudao.core.orders.models import Order, OrderEvent, OrderLine
from qudao.core.plugin_api import TenantContext, quantize
from qudao.plugins.sales_targets.models import SalesTarget
from qudao.plugins.sales_targets.periods import Period
from qudao.plugins.sales_targets.rules import region_matches

DEAD = ("rejected", "cancelled")


@dataclass(frozen=True)
class Row:
    customer: Customer
    product_id: int
    brand_id: int | None
    category_id: int | None
    sums: tuple[Decimal, ...]  # amount, qty per (period, rule) pair, in ``pairs`` order


def period_of(target: SalesTarget) -> Period:
    return Period(target.period_kind, target.period_start)


def _first_event(status: str) -> Any:
    return (select(OrderEvent.tenant_id, OrderEvent.order_id, func.min(OrderEvent.at).label("at"))
            .where(OrderEvent.status == status).group_by(OrderEvent.tenant_id, OrderEvent.order_id)
            .subquery(f"first_{status}"))


async def actuals(ctx: TenantContext, targets: list[SalesTarget]) -> dict[int, Decimal]:
    """``{target id: actual amount or quantity}`` for the given targets, in one grouped query."""
    if not targets:
        return {}
    pairs = sorted({(period_of(t), t.rule) for t in targets})
    tz = ctx.tenant.timezone or "Asia/Shanghai"
    approved, received = _first_event("approved"), _first_event("received")
    rules = {t.rule for t in targets}
    conds = []
    for period, rule in pairs:
        start, end = period.utc_bounds(tz)
        if rule == "placed":
            conds.append(and_(Order.created_at >= start, Order.created_at < end, Order.status.not_in(DEAD)))
        elif rule == "approved":
            conds.append(and_(approved.c.at >= start, approved.c.at < end, Order.status.not_in(DEAD)))
        else:
            conds.append(and_(received.c.at >= start, received.c.at < end, Order.status == "received"))
    columns = []
    for i, cond in enumerate(conds):
        columns.append(func.sum(case((cond, OrderLine.line_total), else_=literal(0))).label(f"a{i}"))
        columns.append(func.sum(case((cond, OrderLine.qty), else_=literal(0))).label(f"q{i}"))
    stmt = (select(Order.customer_id, OrderLine.product_id, *columns).select_from(OrderLine)
            .join(Order, and_(Order.tenant_id == OrderLine.tenant_id, Order.id == OrderLine.order_id)))
    if "approved" in rules:
        stmt = stmt.outerjoin(approved, and_(approved.c.tenant_id == Order.tenant_id,
                                             approved.c.order_id == Order.id))
    if "received" in rules:
        stmt = stmt.outerjoin(received, and_(received.c.tenant_id == Order.tenant_id,
                                             received.c.order_id == Order.id))
    # multi-level channels: a reseller's sales to its stores are not the brand's
    where = [OrderLine.gift.is_(False), Order.customer_id.is_not(None), Order.seller_customer_id.is_(None),
             or_(*conds)]
    stmt = stmt.where(*where).group_by(Order.customer_id, OrderLine.product_id)
    grouped = (await ctx.session.execute(stmt)).all()
    rows = await _rows(ctx, grouped)
    currency = ctx.tenant.currency or "CNY"
    index = {pair: i for i, pair in enumerate(pairs)}
    result: dict[int, Decimal] = {}
    for t in targets:
        i = index[(period_of(t), t.rule)]
        offset = 2 * i + (1 if t.measure == "qty" else 0)
        total = sum((r.sums[offset] for r in rows if matches(t, r)), Decimal(0))
        result[t.id] = total.quantize(Decimal(1)) if t.measure == "qty" else quantize(total, currency)
    return result


async def _rows(ctx: TenantContext, grouped: list[Any]) -> list[Row]:
    customer_ids = {g[0] for g in grouped}
    product_ids = {g[1] for g in grouped}
    customers = {c.id: c for c in (await ctx.session.scalars(
        select(Customer).where(Customer.id.in_(customer_ids)))).all()} if customer_ids else {}
    products = {pid: (brand, cat) for pid, brand, cat in (await ctx.session.execute(
        select(Product.id, Product.brand_id, Product.category_id).where(Product.id.in_(product_ids)))).all()} \
        if product_ids else {}
    rows = []
    for g in grouped:
        customer = customers.get(g[0])
        if customer is None:
            continue
        brand, cat = products.get(g[1], (None, None))
        sums = tuple(Decimal(str(v or 0)) for v in g[2:])
        rows.append(Row(customer, g[1], brand, cat, sums))
    return rows


def matches(t: SalesTarget, r: Row) -> bool:
    c = r.customer
    if t.dimension == "region" and not region_matches(t.dim_key, c.region):
        return False
    if t.dimension == "customer_type" and c.type != t.dim_key:
        return False
    if t.dimension == "customer" and c.id != t.customer_id:
        return False
    if t.dimension == "sales_rep" and c.sales_rep_id != t.rep_id:
        return False
    ids = t.scope_ids or []
    if t.scope_kind == "brand":
        return r.brand_id in ids
    if t.scope_kind == "category":
        return r.category_id in ids
    if t.scope_kind == "skus":
        return r.product_id in ids
    return True


def percent(actual: Decimal, target: Decimal) -> Decimal:
    if not target:
        return Decimal(0)
    return (actual * 100 / target).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

