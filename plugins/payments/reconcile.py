"""Settlement reports and reconciliation: totals per party, order-by-order checks against
Stripe, and a re-sync for missed webhooks."""

from __future__ import annotations

from typing import Any

import stripe
from sqlalchemy import select

from qudao.core.plugin_api import enqueue_after_commit
from qudao.plugins.payments import stripe_client as sc
from qudao.plugins.payments.charges import refresh_card_payment
from qudao.plugins.payments.common import log, money, transfer_group
from qudao.plugins.payments.models import (
    CARD,
    L_KEPT,
    L_OFFLINE,
    L_PAID,
    L_PENDING,
    L_RECORDED,
    L_REVERSED,
    PAYMENT_OPEN,
    R_SUCCEEDED,
    SALES_REP,
    Payment,
    Refund,
    SettlementLine,
)


def party_totals(lines: list[SettlementLine]) -> list[dict[str, Any]]:
    """Per party: earned (net of reversals), received (transferred), pending, kept/offline."""
    out: dict[str, dict[str, Any]] = {}
    for ln in lines:
        row = out.setdefault(ln.party, {"party": ln.party, "role": ln.role, "currency": ln.currency, "earned": 0,
                                        "received": 0, "pending": 0, "kept": 0, "offline": 0, "recorded": 0,
                                        "orders": 0})
        net = ln.amount_minor - ln.reversed_minor
        row["orders"] += 1
        if ln.status == L_RECORDED:
            row["recorded"] += net
            continue
        row["earned"] += net
        if ln.status in (L_PAID, L_REVERSED):
            row["received"] += net
        elif ln.status == L_PENDING:
            row["pending"] += net
        elif ln.status == L_KEPT:
            row["kept"] += net
        elif ln.status == L_OFFLINE:
            row["offline"] += net
    result = []
    for row in sorted(out.values(), key=lambda r: (r["role"], r["party"])):
        cur = row["currency"]
        result.append({**row, **{k: money(row[k], cur) for k in
                                 ("earned", "received", "pending", "kept", "offline", "recorded")}})
    return result


async def reconcile(ctx: Any, order_numbers: list[str] | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Compare the ledger with Stripe, order by order; return one row per order with its problems.

    Checks: lines add up to what was charged; each paid line's transfer exists in Stripe with the
    same amount, destination and group, and its reversals match; no transfer in the order's group
    that the ledger does not know (a duplicate); each card payment's PaymentIntent succeeded with
    the recorded amount.
    """
    session = ctx.session
    stmt = select(SettlementLine).order_by(SettlementLine.created_at.desc())
    if order_numbers:
        stmt = stmt.where(SettlementLine.order_number.in_(order_numbers))
    lines = list((await session.scalars(stmt.limit(limit * 5))).all())
    by_order: dict[str, list[SettlementLine]] = {}
    for ln in lines:
        by_order.setdefault(ln.order_number, []).append(ln)
    numbers = list(by_order)[:limit]
    payments = list((await session.scalars(select(Payment).where(Payment.order_number.in_(numbers),
                                                                Payment.method == CARD))).all()) if numbers else []
    refunds = list((await session.scalars(select(Refund).where(Refund.order_number.in_(numbers),
                                                              Refund.status == R_SUCCEEDED))).all()) if numbers else []
    await session.commit()
    connect = sc.client("connect")
    payments_client = sc.client("payments")
    rows = []
    for number in numbers:
        order_lines = [ln for ln in by_order[number] if ln.role != SALES_REP]
        cur = order_lines[0].currency if order_lines else "CNY"
        issues: list[str] = []
        charged = sum(p.amount_minor for p in payments if p.order_number == number and p.status == "succeeded")
        refunded = sum(r.amount_minor for r in refunds if r.order_number == number)
        net_ledger = sum(ln.amount_minor - ln.reversed_minor for ln in order_lines)
        via_stripe = any(ln.source_charge_id for ln in order_lines)
        if via_stripe and net_ledger != min(charged, sum(ln.amount_minor for ln in order_lines)) - refunded:
            issues.append(f"ledger {money(net_ledger, cur)} ≠ charged − refunded "
                          f"{money(charged - refunded, cur)}")
        try:
            if via_stripe:
                group = transfer_group(ctx.tenant.id, number)
                page = await sc.call(lambda g=group: connect.v1.transfers.list({"transfer_group": g, "limit": 100}))
                transfers = await sc.call(lambda p=page: list(p.auto_paging_iter()))
                known = {ln.stripe_transfer_id: ln for ln in order_lines if ln.stripe_transfer_id}
                for t in transfers:
                    line = known.get(t.id)
                    if line is None:
                        issues.append(f"transfer {t.id} ({money(t.amount, cur)}) is not in the ledger")
                        continue
                    if t.amount - t.amount_reversed != line.amount_minor - line.reversed_minor:
                        issues.append(f"{line.party}: Stripe net {money(t.amount - t.amount_reversed, cur)} ≠ "
                                      f"ledger {money(line.amount_minor - line.reversed_minor, cur)}")
                    if line.destination and t.destination != line.destination:
                        issues.append(f"{line.party}: transfer went to {t.destination}")
                seen = {t.id for t in transfers}
                for tid, line in known.items():
                    if tid not in seen:
                        issues.append(f"{line.party}: transfer {tid} not found in Stripe")
            for p in payments:
                if p.order_number != number or p.payment_intent_id is None or p.status != "succeeded":
                    continue
                pi = await sc.call(lambda i=p.payment_intent_id: payments_client.v1.payment_intents.retrieve(i))
                if pi.status != "succeeded" or int(pi.amount) != p.amount_minor:
                    issues.append(f"payment {p.payment_intent_id}: Stripe says {pi.status} {money(pi.amount, cur)}")
        except stripe.StripeError as exc:
            issues.append(f"could not check with Stripe: {exc}")
        totals = party_totals(by_order[number])
        rows.append({"number": number, "currency": cur, "charged": money(charged, cur),
                     "refunded": money(refunded, cur), "ledger": money(net_ledger, cur), "parties": totals,
                     "ok": not issues, "issues": issues})
    return rows


async def sync_with_stripe(ctx: Any, limit: int = 200) -> dict[str, int]:
    """Recover from missed webhooks: re-fetch every open card payment's PaymentIntent and apply it,
    and queue payouts for lines still pending (all idempotent)."""
    open_payments = list((await ctx.session.scalars(
        select(Payment).where(Payment.method == CARD, Payment.status.in_(PAYMENT_OPEN),
                              Payment.payment_intent_id.is_not(None))
        .order_by(Payment.created_at).limit(limit))).all())
    await ctx.session.commit()
    updated = 0
    for payment in open_payments:
        before = payment.status
        try:
            after = await refresh_card_payment(ctx, payment)
        except stripe.StripeError as exc:
            log.warning("sync_failed", payment=payment.id, error=str(exc))
            await ctx.session.rollback()
            continue
        updated += int(after.status != before)
    orders = list((await ctx.session.scalars(
        select(SettlementLine.order_id).where(SettlementLine.status == L_PENDING).distinct().limit(limit))).all())
    for order_id in orders:
        enqueue_after_commit(ctx.session, "payments.payout", order_id=order_id)
    await ctx.session.commit()
    return {"checked": len(open_payments), "updated": updated, "payouts_queued": len(orders)}
