"""Paying settlement lines out with Stripe Connect ("separate charges and transfers") and
reversing them after refunds.

Exactly once, under retries and duplicate deliveries:

* every transfer has the deterministic idempotency key ``order:{tenant}:{number}:transfer:{party}``
  (stored on the line) and carries it in its metadata;
* before creating one, the job lists the transfers of the order's ``transfer_group`` and adopts
  one with that key (an earlier success whose answer was lost, even after Stripe forgot the key);
* recording is a conditional UPDATE (``WHERE status = 'pending'``), so two workers that both
  got the (replayed) transfer record it once;
* reversals work the same way with ``order:{tenant}:{number}:reversal:{party}:{refund}``.

A job that could not finish raises, and Dramatiq retries it later.
"""

from __future__ import annotations

from typing import Any

import stripe
import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from qudao.core.orders.models import Order
from qudao.core.plugin_api import utcnow
from qudao.plugins.payments import stripe_client as sc
from qudao.plugins.payments.accounts import active_destination
from qudao.plugins.payments.common import transfer_group
from qudao.plugins.payments.models import (
    L_KEPT,
    L_PAID,
    L_PENDING,
    L_REVERSED,
    PLATFORM,
    R_SUCCEEDED,
    SALES_REP,
    Refund,
    Reversal,
    SettlementLine,
)

log = structlog.get_logger("qudao.payments")


TRANSFERRED_ROLES = ("brand", "distributor")


class PayoutIncomplete(Exception):
    """Some transfers or reversals could not be made now; the job raises so Dramatiq retries."""


async def _existing_transfers(client: stripe.StripeClient, group: str) -> dict[str, Any]:
    page = await sc.call(lambda: client.v1.transfers.list({"transfer_group": group, "limit": 100}))
    found: dict[str, Any] = {}
    for t in await sc.call(lambda: list(page.auto_paging_iter())):
        key = sc.as_dict(t.metadata).get("idempotency_key")
        if key and key not in found:
            found[key] = t
    return found


async def payout_order(ctx: Any, order_id: int) -> None:
    """Transfer every pending settlement line of one order to its party (idempotent)."""
    session = ctx.session
    lines = list((await session.scalars(
        select(SettlementLine).where(SettlementLine.order_id == order_id, SettlementLine.status == L_PENDING)
        .order_by(SettlementLine.party).execution_options(populate_existing=True))).all())
    order = await session.scalar(select(Order).where(Order.id == order_id))
    await session.commit()
    if not lines or order is None:
        return
    client = sc.client("connect")
    group = transfer_group(ctx.tenant.id, order.number)
    existing: dict[str, Any] | None = None
    problems: list[str] = []
    for line in lines:
        destination = await active_destination(ctx, line.party)
        await session.commit()
        if destination is None:
            await _note(ctx, line, "waiting for the party to onboard its Stripe account")
            continue
        amount = line.amount_minor - line.reversed_minor
        if existing is None:
            existing = await _existing_transfers(client, group)
        transfer = existing.get(line.idempotency_key)
        if transfer is None and amount > 0:
            params = {
                "amount": amount, "currency": line.currency.lower(), "destination": destination,
                "transfer_group": group, "source_transaction": line.source_charge_id,
                "metadata": {"tenant_id": str(ctx.tenant.id), "order_number": order.number, "party": line.party,
                             "idempotency_key": line.idempotency_key},
            }
            try:
                transfer = await sc.call(lambda p=params, k=line.idempotency_key: client.v1.transfers.create(
                    p, options={"idempotency_key": k}))
            except stripe.StripeError as exc:
                log.warning("transfer_failed", order=order.number, party=line.party, error=str(exc))
                problems.append(f"{line.party}: {exc}")
                await _note(ctx, line, f"transfer failed, will retry: {str(exc)[:300]}")
                continue
        await session.execute(
            update(SettlementLine).where(SettlementLine.id == line.id, SettlementLine.status == L_PENDING)
            .values(status=L_PAID if amount > 0 or transfer is not None else L_REVERSED,
                    stripe_transfer_id=transfer.id if transfer is not None else None,
                    destination=destination, paid_at=utcnow(), note=None)
            .execution_options(synchronize_session=False))
        await session.commit()
    if problems:
        raise PayoutIncomplete("; ".join(problems))


async def _note(ctx: Any, line: SettlementLine, note: str) -> None:
    await ctx.session.execute(update(SettlementLine).where(SettlementLine.id == line.id,
                                                           SettlementLine.status == L_PENDING)
                              .values(note=note[:500]).execution_options(synchronize_session=False))
    await ctx.session.commit()


def _floor_share(amount: int, refunded: int, base: int) -> int:
    return (amount * refunded) // base if base > 0 else 0


async def plan_reversals(ctx: Any, refund: Refund) -> list[Reversal]:
    """Each line's part of one refund, from cumulative refunded amounts (deterministic under retries).

    Transferred parties get ``floor(line × refunded_so_far / base)`` minus what earlier refunds
    took; the platform's kept line takes the remainder, so the reversals of a refund add up to
    the refund to the cent and a full refund reverses every line exactly.
    """
    rows = list((await ctx.session.scalars(select(Reversal).where(Reversal.refund_id == refund.id))).all())
    if rows:
        return rows
    lines = list((await ctx.session.scalars(
        select(SettlementLine).where(SettlementLine.order_id == refund.order_id, SettlementLine.role != SALES_REP)
        .order_by(SettlementLine.party))).all())
    if not lines:
        return []
    base = sum(ln.amount_minor for ln in lines)
    refunds = list((await ctx.session.scalars(
        select(Refund).where(Refund.order_id == refund.order_id, Refund.status == R_SUCCEEDED)
        .order_by(Refund.created_at, Refund.id))).all())
    before = 0
    for r in refunds:
        if r.id == refund.id:
            break
        before += r.amount_minor
    before, after = min(before, base), min(before + refund.amount_minor, base)
    out = []
    platform_line = next((ln for ln in lines if ln.role == PLATFORM), None)
    taken = 0
    for line in lines:
        if line is platform_line:
            continue
        part = _floor_share(line.amount_minor, after, base) - _floor_share(line.amount_minor, before, base)
        taken += part
        out.append((line, part))
    if platform_line is not None:
        out.append((platform_line, (after - before) - taken))
    rows = []
    for line, part in out:
        if part == 0:
            continue
        status = L_PENDING if line.status in (L_PENDING, L_PAID, L_REVERSED) else L_KEPT
        rows.append(Reversal(refund_id=refund.id, line_id=line.id, order_number=line.order_number, party=line.party,
                             amount_minor=part, status=status,
                             idempotency_key=f"order:{ctx.tenant.id}:{line.order_number}:reversal:{line.party}:"
                                             f"{refund.id}"))
    for row in rows:
        ctx.session.add(row)
        if row.status == L_KEPT:  # kept / offline lines: bookkeeping only
            await _add_reversed(ctx, row.line_id, row.amount_minor)
    try:
        await ctx.session.commit()
    except IntegrityError:  # a concurrent run planned it first
        await ctx.session.rollback()
        return list((await ctx.session.scalars(select(Reversal).where(Reversal.refund_id == refund.id))).all())
    return rows


async def _add_reversed(ctx: Any, line_id: int, amount: int) -> None:
    line = await ctx.session.scalar(select(SettlementLine).where(SettlementLine.id == line_id)
                                    .execution_options(populate_existing=True))
    assert line is not None
    reversed_minor = line.reversed_minor + amount
    values: dict[str, Any] = {"reversed_minor": max(reversed_minor, 0)}
    if line.status == L_PAID and reversed_minor >= line.amount_minor:
        values["status"] = L_REVERSED
    await ctx.session.execute(update(SettlementLine).where(SettlementLine.id == line_id).values(**values)
                              .execution_options(synchronize_session=False))


async def _existing_reversal(client: stripe.StripeClient, transfer_id: str, key: str) -> Any:
    page = await sc.call(lambda: client.v1.transfers.reversals.list(transfer_id, {"limit": 100}))
    for r in await sc.call(lambda: list(page.auto_paging_iter())):
        if sc.as_dict(r.metadata).get("idempotency_key") == key:
            return r
    return None


async def reverse_refund(ctx: Any, refund_id: int) -> None:
    """Reverse each transferred party's share of one refund (idempotent)."""
    session = ctx.session
    refund = await session.scalar(select(Refund).where(Refund.id == refund_id)
                                  .execution_options(populate_existing=True))
    if refund is None or refund.status != R_SUCCEEDED:
        return
    rows = await plan_reversals(ctx, refund)
    pending = [r for r in rows if r.status == L_PENDING]
    if not pending:
        return
    lines = {ln.id: ln for ln in (await session.scalars(
        select(SettlementLine).where(SettlementLine.id.in_([r.line_id for r in pending]))
        .execution_options(populate_existing=True))).all()}
    if any(ln.status == L_PENDING for ln in lines.values()):
        await payout_order(ctx, refund.order_id)  # transfer first, then reverse (idempotent)
        lines = {ln.id: ln for ln in (await session.scalars(
            select(SettlementLine).where(SettlementLine.id.in_(list(lines)))
            .execution_options(populate_existing=True))).all()}
    await session.commit()
    client = sc.client("connect")
    problems = []
    for row in pending:
        line = lines[row.line_id]
        reversal_id = None
        if line.status == L_PENDING:
            # never transferred (the party has no account yet): transfer less later
            status = "reduced"
        elif line.stripe_transfer_id is None:
            status = "reduced"
        else:
            try:
                found = await _existing_reversal(client, line.stripe_transfer_id, row.idempotency_key)
                if found is None:
                    params = {"amount": row.amount_minor,
                              "metadata": {"tenant_id": str(ctx.tenant.id), "order_number": row.order_number,
                                           "party": row.party, "refund_id": str(refund.id),
                                           "idempotency_key": row.idempotency_key}}
                    found = await sc.call(lambda t=line.stripe_transfer_id, p=params, k=row.idempotency_key:
                                          client.v1.transfers.reversals.create(t, p, options={"idempotency_key": k}))
                reversal_id = found.id
                status = "done"
            except stripe.StripeError as exc:
                log.warning("reversal_failed", order=row.order_number, party=row.party, error=str(exc))
                problems.append(f"{row.party}: {exc}")
                continue
        result = await session.execute(update(Reversal).where(Reversal.id == row.id, Reversal.status == L_PENDING)
                                       .values(status=status, stripe_reversal_id=reversal_id)
                                       .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            await _add_reversed(ctx, row.line_id, row.amount_minor)
        await session.commit()
    if problems:
        raise PayoutIncomplete("; ".join(problems))
