"""Accrual: a received order's lines count toward the programs that cover them.

The basis of a line is its total net of discounts: the order's discount (every order-level
adjustment, the rebate deduction included — money paid with rebate earns no rebate) is
spread over the bought lines pro rata to their totals (``calc.allocate``, largest remainder
in minor units, so the shares add up to the discount to the cent). Gifts count neither
amount nor units. A line counts in the period of the day the order was received.

A received order that later ends (cancelled, rejected, returned, if the flow ever allows
it) gets a reversal row with the negated amounts, in the same period, or in today's period
when that one has been closed already.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from qudao.core.catalog.models import Brand, Category, Product
from qudao.core.customers.models import Customer, Tier
from qudao.core.orders.models import OrderLine
from qudao.plugins.rebates import calc, clock
from qudao.plugins.rebates.models import (
    ACCRUAL,
    REVERSAL,
    RebateAccrual,
    RebatePeriod,
    RebateProgram,
    to_minor,
)
from qudao.plugins.rebates.periods import period_for
from qudao.plugins.rebates.programs import ProductScope, buyer_matches, valid_on

ENDING = ("cancelled", "rejected", "returned")


@dataclass
class NetLine:
    product_id: int
    qty: int
    net_minor: int


def net_lines(lines: list[Any], discount_minor: int, currency: str) -> list[NetLine]:
    """Bought lines with their share of the order's discount taken off (pure)."""
    bought = [ln for ln in lines if not ln.gift]
    totals = [to_minor(ln.line_total, currency) for ln in bought]
    shares = calc.allocate(totals, discount_minor)
    return [NetLine(ln.product_id, ln.qty, total - share) for ln, total, share in zip(bought, totals, shares, strict=True)]


def custom_range(p: RebateProgram) -> tuple[Any, Any]:
    return (p.valid_from, p.valid_until)


def period_of(p: RebateProgram, day: Any) -> Any:
    return period_for(p.period, day, custom_range(p))


async def accrue(ctx: Any, order: Any) -> list[RebateAccrual]:
    """Write the accrual rows of a just-received order (none twice for one program)."""
    if order.customer_id is None:
        return []
    session = ctx.session
    programs = list((await session.scalars(select(RebateProgram).where(RebateProgram.active.is_(True)))).all())
    day = clock.today(ctx)
    programs = [p for p in programs if valid_on(p, day)]
    if not programs:
        return []
    customer = await session.scalar(select(Customer).where(Customer.id == order.customer_id))
    if customer is None:
        return []
    tier_code = (await session.scalar(select(Tier.code).where(Tier.id == customer.tier_id))
                 if customer.tier_id is not None else None)
    programs = [p for p in programs if buyer_matches(p, customer, tier_code)]
    if not programs:
        return []
    done = set((await session.scalars(select(RebateAccrual.program_id).where(
        RebateAccrual.order_id == order.id, RebateAccrual.kind == ACCRUAL))).all())
    programs = [p for p in programs if p.id not in done]
    if not programs:
        return []
    lines = list((await session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)
                                        .order_by(OrderLine.line_no))).all())
    net = net_lines(lines, max(to_minor(order.discount, order.currency), 0), order.currency)
    products = {p.id: p for p in (await session.scalars(
        select(Product).where(Product.id.in_({n.product_id for n in net})))).all()}
    brands = {code: bid for bid, code in (await session.execute(select(Brand.id, Brand.code))).all()} \
        if any(p.brands for p in programs) else {}
    categories = list((await session.execute(select(Category.id, Category.code, Category.parent_id))).all()) \
        if any(p.categories for p in programs) else []
    written = []
    for program in programs:
        scope = ProductScope(program, brands, [tuple(c) for c in categories])
        mine = [n for n in net if n.product_id in products and scope.covers(products[n.product_id])]
        if not mine:
            continue
        row = RebateAccrual(program_id=program.id, customer_id=order.customer_id, order_id=order.id,
                            order_number=order.number, period_key=period_of(program, day).key, day=day,
                            kind=ACCRUAL, amount_minor=sum(n.net_minor for n in mine), qty=sum(n.qty for n in mine))
        session.add(row)
        written.append(row)
    return written


async def reverse(ctx: Any, order: Any) -> list[RebateAccrual]:
    """Take back what an ended order accrued (once per program)."""
    session = ctx.session
    rows = list((await session.scalars(select(RebateAccrual).where(RebateAccrual.order_id == order.id))).all())
    reversed_ = {r.program_id for r in rows if r.kind == REVERSAL}
    todo = [r for r in rows if r.kind == ACCRUAL and r.program_id not in reversed_]
    if not todo:
        return []
    day = clock.today(ctx)
    closed = set((await session.execute(select(RebatePeriod.program_id, RebatePeriod.period_key).where(
        RebatePeriod.program_id.in_({r.program_id for r in todo})))).all())
    programs = {p.id: p for p in (await session.scalars(
        select(RebateProgram).where(RebateProgram.id.in_({r.program_id for r in todo})))).all()}
    written = []
    for row in todo:
        key = row.period_key
        if (row.program_id, key) in closed and row.program_id in programs:
            key = period_of(programs[row.program_id], day).key
        back = RebateAccrual(program_id=row.program_id, customer_id=row.customer_id, order_id=row.order_id,
                             order_number=row.order_number, period_key=key, day=day, kind=REVERSAL,
                             amount_minor=-row.amount_minor, qty=-row.qty)
        session.add(back)
        written.append(back)
    return written
