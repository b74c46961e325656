"""Recording a payment's success and turning a fully paid order into settlement lines (once per order)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select, update

from qudao.core.customers.models import Customer
from qudao.core.orders.models import Order
from qudao.core.plugin_api import enqueue_after_commit, gather_hook, utcnow
from qudao.plugins.payments.common import HUNDRED, currency_of, money, succeeded_payments, transfer_key
from qudao.plugins.payments.models import (
    BRAND,
    CARD,
    DISTRIBUTOR,
    L_KEPT,
    L_OFFLINE,
    L_PENDING,
    L_RECORDED,
    P_SUCCEEDED,
    PLATFORM,
    SALES_REP,
    Payment,
    SettlementLine,
    from_minor,
    to_minor,
)
from qudao.plugins.payments.split_rules import current_rule, percent_text, platform_percent
from qudao.plugins.payments.summary import standing


async def mark_succeeded(ctx: Any, order: Order, payment: Payment, *, charge_id: str | None = None,
                         stripe_status: str | None = None) -> bool:
    """Move one payment to succeeded (once), then settle the order if it is now fully paid.

    The caller holds the order lock and commits. Returns False when it already was.
    """
    before = await standing(ctx, order)
    values: dict[str, Any] = {"status": P_SUCCEEDED, "succeeded_at": utcnow(), "failure": None}
    if charge_id:
        values["charge_id"] = charge_id
    if stripe_status:
        values["stripe_status"] = stripe_status
    result = await ctx.session.execute(
        update(Payment).where(Payment.id == payment.id, Payment.status != P_SUCCEEDED).values(**values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    for key, value in values.items():
        setattr(payment, key, value)
    after = await standing(ctx, order)
    order.paid_amount = from_minor(after.paid_minor, after.currency)
    if before.status != "paid" and after.status == "paid":
        await gather_hook(ctx.hooks.qudao_order_paid, ctx=ctx, order=order)
        await create_settlement(ctx, order)
    return True


def share(total_minor: int, percent: Decimal) -> int:
    return int((Decimal(total_minor) * percent / HUNDRED).quantize(Decimal(1), rounding=ROUND_HALF_UP))


async def distributor_of(ctx: Any, order: Order) -> Customer | None:
    """The party serving the order on the brand's behalf: the buyer's parent in the channel tree."""
    if order.customer_id is None:
        return None
    customer = await ctx.session.get(Customer, (order.tenant_id, order.customer_id))
    if customer is None or customer.parent_id is None:
        return None
    return await ctx.session.get(Customer, (order.tenant_id, customer.parent_id))


def customer_party(code: str) -> str:
    return f"customer:{code}"


async def create_settlement(ctx: Any, order: Order) -> list[SettlementLine]:
    """Split a fully paid order into settlement lines (once per order; called under the order lock).

    Platform fee = the operator's current percentage; distributor = the rule's share when the buyer
    has a parent in the channel tree; the brand gets the remainder, so the lines add up to the
    order total to the cent. An order paid entirely by one card charge is paid out through Stripe
    Connect (lines ``pending``); otherwise the money is not on the platform's Stripe account and
    the lines are ``offline``.
    """
    existing = (await ctx.session.scalars(select(SettlementLine).where(SettlementLine.order_id == order.id))).all()
    if existing:
        return list(existing)
    cur = currency_of(ctx, order)
    total = to_minor(order.total, cur)
    rule = await current_rule(ctx)
    platform_pct = platform_percent()
    dist_pct = Decimal(rule.distributor_percent) if rule else Decimal(0)
    rep_pct = Decimal(rule.sales_rep_percent) if rule else Decimal(0)
    distributor = await distributor_of(ctx, order)
    if distributor is None or dist_pct + platform_pct > HUNDRED:
        dist_pct = Decimal(0)
    payments = await succeeded_payments(ctx, order.id)
    cards = [p for p in payments if p.method == CARD and p.charge_id]
    via_stripe = len(payments) == 1 and len(cards) == 1 and cards[0].amount_minor >= total
    charge = cards[0].charge_id if via_stripe else None
    platform_amt = share(total, platform_pct)
    dist_amt = share(total, dist_pct) if distributor is not None else 0
    brand_amt = total - platform_amt - dist_amt
    parties: list[tuple[str, str, Decimal, int, str]] = [
        (PLATFORM, PLATFORM, platform_pct, platform_amt, L_KEPT),
        ("brand", BRAND, HUNDRED - platform_pct - dist_pct, brand_amt, L_PENDING if via_stripe else L_OFFLINE),
    ]
    if distributor is not None:
        parties.append((customer_party(distributor.code), DISTRIBUTOR, dist_pct, dist_amt,
                        L_PENDING if via_stripe else L_OFFLINE))
    buyer = await ctx.session.get(Customer, (order.tenant_id, order.customer_id)) if order.customer_id else None
    if rep_pct > 0 and buyer is not None and buyer.sales_rep_id is not None:
        parties.append((f"rep:{buyer.sales_rep_id}", SALES_REP, rep_pct, share(total, rep_pct), L_RECORDED))
    lines = []
    for party, role, pct, amount, status in parties:
        if amount == 0 and status == L_PENDING:
            status = L_OFFLINE  # nothing to transfer
        line = SettlementLine(order_id=order.id, order_number=order.number, party=party, role=role,
                              percent=percent_text(pct), amount_minor=amount, currency=cur, status=status,
                              source_charge_id=charge, idempotency_key=transfer_key(ctx.tenant.id, order.number, party),
                              note=None if role != SALES_REP else "commission out of the brand's share; recorded only")
        ctx.session.add(line)
        lines.append(line)
    await ctx.session.flush()
    if any(line.status == L_PENDING for line in lines):
        enqueue_after_commit(ctx.session, "payments.payout", order_id=order.id)
    return lines


def line_view(line: SettlementLine) -> dict[str, Any]:
    cur = line.currency
    return {
        "party": line.party, "role": line.role, "percent": line.percent,
        "amount": money(line.amount_minor, cur), "reversed": money(line.reversed_minor, cur),
        "net": money(line.amount_minor - line.reversed_minor, cur), "status": line.status,
        "transfer": line.stripe_transfer_id, "destination": line.destination,
        "idempotency_key": line.idempotency_key, "note": line.note,
        "paid_at": line.paid_at.isoformat() if line.paid_at else None,
    }


async def settlement_view(ctx: Any, order: Order) -> dict[str, Any]:
    lines = (await ctx.session.scalars(select(SettlementLine).where(SettlementLine.order_id == order.id)
                                       .order_by(SettlementLine.role, SettlementLine.party))).all()
    st = await standing(ctx, order)
    cur = st.currency
    counted = [ln for ln in lines if ln.role != SALES_REP]
    return {
        "number": order.number, "currency": cur, "charged": money(st.paid_minor, cur),
        "refunded": money(st.refunded_minor, cur),
        "settled": money(sum(ln.amount_minor - ln.reversed_minor for ln in counted), cur),
        "lines": [line_view(ln) for ln in lines],
    }
