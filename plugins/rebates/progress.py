"""Where a customer stands in each program's current period (buyer and staff views).

"¥312,400.00 of ¥500,000.00 this quarter, ¥187,600.00 to the 2 % tier": counted is what
received orders contributed to the period; the estimate applies the program's math to it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from qudao.core.customers.models import Customer, Tier
from qudao.core.money import places
from qudao.core.plugin_api import fmt
from qudao.plugins.rebates import calc, clock
from qudao.plugins.rebates.accrual import period_of
from qudao.plugins.rebates.models import PER_UNIT, QUANTITY, RebateAccrual, RebateProgram, from_minor
from qudao.plugins.rebates.programs import buyer_matches, tier_objects, valid_on
from qudao.plugins.rebates.texts import N_, _

PERIOD_WORDS = {"month": N_("this month"), "quarter": N_("this quarter"), "year": N_("this year"),
                "custom": N_("in this program")}


SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "JPY": "¥", "HKD": "HK$"}


def display(amount: Decimal | str, currency: str) -> str:
    """For people: ``¥312,400.00`` (the API keeps plain decimal strings)."""
    value = Decimal(str(amount))
    places_ = places(currency)
    sign = "-" if value < 0 else ""
    return f"{sign}{SYMBOLS.get(currency, currency + ' ')}{abs(value):,.{places_}f}"


def estimate(program: RebateProgram, amount: Decimal, qty: int, currency: str) -> Decimal:
    """The rebate the program's math gives for a period's basis (pure)."""
    p = places(currency)
    if program.method == PER_UNIT:
        return calc.per_unit(qty, Decimal(program.per_unit or "0"), p)
    measure = Decimal(qty) if program.basis == QUANTITY else amount
    return calc.tiered(program.tier_mode, tier_objects(program.tiers or []), measure, max(amount, Decimal(0)), p)


def rate_text(program: RebateProgram, amount: Decimal, qty: int, currency: str) -> str:
    if program.method == PER_UNIT:
        return f"{program.per_unit}/unit"
    measure = Decimal(qty) if program.basis == QUANTITY else amount
    prog = calc.progress(tier_objects(program.tiers or []), measure)
    return f"{prog.rate.normalize():f}% {program.tier_mode}"


async def customer_progress(ctx: Any, customer: Customer) -> list[dict[str, Any]]:
    """One row per program that covers the customer today."""
    session = ctx.session
    day = clock.today(ctx)
    currency = ctx.tenant.currency or "CNY"
    tier_code = (await session.scalar(select(Tier.code).where(Tier.id == customer.tier_id))
                 if customer.tier_id is not None else None)
    programs = [p for p in (await session.scalars(select(RebateProgram).order_by(RebateProgram.code))).all()
                if valid_on(p, day) and buyer_matches(p, customer, tier_code)]
    if not programs:
        return []
    keys = {p.id: period_of(p, day) for p in programs}
    sums = {(r[0], r[1]): (int(r[2] or 0), int(r[3] or 0)) for r in (await session.execute(
        select(RebateAccrual.program_id, RebateAccrual.period_key, func.sum(RebateAccrual.amount_minor),
               func.sum(RebateAccrual.qty))
        .where(RebateAccrual.customer_id == customer.id, RebateAccrual.program_id.in_(list(keys)))
        .group_by(RebateAccrual.program_id, RebateAccrual.period_key))).all()}
    out = []
    for p in programs:
        period = keys[p.id]
        amount_minor, qty = sums.get((p.id, period.key), (0, 0))
        out.append(progress_row(ctx, p, period, from_minor(amount_minor, currency), qty, currency))
    return out


def progress_row(ctx: Any, p: RebateProgram, period: Any, amount: Decimal, qty: int, currency: str) -> dict[str, Any]:
    quantity = p.basis == QUANTITY
    measure = Decimal(qty) if quantity else amount
    row: dict[str, Any] = {
        "program": p.code, "name": p.name, "period": period.key, "starts_on": period.starts_on.isoformat(),
        "ends_on": period.ends_on.isoformat(), "basis": p.basis, "method": p.method,
        "amount": fmt(amount, currency), "qty": qty,
        "estimated_rebate": fmt(estimate(p, amount, qty, currency), currency),
        "rate": None, "next_tier": None, "next_percent": None, "to_next_tier": None,
        "have_text": str(qty) if quantity else display(amount, currency),
        "rebate_text": display(estimate(p, amount, qty, currency), currency),
        "goal_text": None, "left_text": None,
    }

    def show(value: Decimal) -> str:
        return str(int(value)) if quantity else display(value, currency)

    when = _(PERIOD_WORDS.get(p.period, "this period"))
    if p.method == PER_UNIT:
        row["rate"] = p.per_unit
        row["message"] = _("{qty} units {when}, {amount} per unit: {rebate} so far").format(
            qty=qty, when=when, amount=p.per_unit, rebate=row["estimated_rebate"])
        return row
    prog = calc.progress(tier_objects(p.tiers or []), measure)
    row["rate"] = f"{prog.rate.normalize():f}"
    if prog.next_threshold is not None:
        assert prog.to_next is not None and prog.next_percent is not None
        row["next_tier"] = str(int(prog.next_threshold)) if quantity else fmt(prog.next_threshold, currency)
        row["next_percent"] = f"{prog.next_percent.normalize():f}"
        row["to_next_tier"] = str(int(prog.to_next)) if quantity else fmt(prog.to_next, currency)
        row["goal_text"], row["left_text"] = show(prog.next_threshold), show(prog.to_next)
        row["message"] = _("{have} of {goal} {when}, {left} to the {pct} tier").format(
            have=show(measure), goal=show(prog.next_threshold), when=when, left=show(prog.to_next),
            pct=row["next_percent"] + " %")
    else:
        row["message"] = _("{have} {when}: the top tier ({pct}) is reached").format(
            have=show(measure), when=when, pct=row["rate"] + " %")
    return row
