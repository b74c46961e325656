"""Paying settlement lines out with Stripe Connect ("separate charges and transfers"),
reversing them after refunds, connected-account onboarding, and reconciliation.

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

from qudao.core.customers.models import Customer
from qudao.core.errors import InputError, NotFound
from qudao.core.orders.models import Order
from qudao.core.plugin_api import enqueue_after_commit, utcnow
from qudao.plugins.payments import stripe_client as sc
from qudao.plugins.payments.models import (
    CARD,
    L_KEPT,
    L_OFFLINE,
    L_PAID,
    L_PENDING,
    L_RECORDED,
    L_REVERSED,
    PLATFORM,
    R_SUCCEEDED,
    SALES_REP,
    ConnectedAccount,
    Payment,
    Refund,
    Reversal,
    SettlementLine,
)
from qudao.plugins.payments.service import customer_party, money, transfer_group

log = structlog.get_logger("qudao.payments")
TRANSFERRED_ROLES = ("brand", "distributor")


class PayoutIncomplete(Exception):
    """Some transfers or reversals could not be made now; the job raises so Dramatiq retries."""


# --- connected accounts ---------------------------------------------------------------


async def resolve_party(ctx: Any, raw: str) -> tuple[str, Customer | None]:
    """``brand``, or a customer (distributor) by ``customer:<code>`` or its plain code."""
    if raw == "brand":
        return "brand", None
    code = raw.split(":", 1)[1] if raw.startswith("customer:") else raw
    customer = await ctx.session.scalar(select(Customer).where(Customer.code == code))
    if customer is None:
        raise NotFound(f"no party '{raw}' (use 'brand' or a customer code)")
    return customer_party(customer.code), customer


def account_view(acct: ConnectedAccount, url: str | None = None) -> dict[str, Any]:
    out = {"party": acct.party, "account": acct.stripe_account_id, "status": acct.status, "email": acct.email,
           "updated_at": acct.updated_at.isoformat()}
    if url is not None:
        out["url"] = url
    return out


async def onboard(ctx: Any, party: str, customer: Customer | None, *, return_url: str, refresh_url: str,
                  email: str | None = None) -> tuple[ConnectedAccount, str, bool]:
    """Create the party's express account (once) and a fresh onboarding link."""
    acct = await ctx.session.scalar(select(ConnectedAccount).where(ConnectedAccount.party == party))
    created = acct is None
    if acct is None:
        acct = ConnectedAccount(party=party, customer_id=customer.id if customer else None, status="pending",
                                email=email)
        ctx.session.add(acct)
        try:
            await ctx.session.commit()
        except IntegrityError:
            await ctx.session.rollback()
            acct = await ctx.session.scalar(select(ConnectedAccount).where(ConnectedAccount.party == party))
            created = False
            assert acct is not None
    else:
        await ctx.session.commit()
    client = sc.client("connect")
    try:
        if acct.stripe_account_id is None:
            params: dict[str, Any] = {
                "type": "express", "capabilities": {"transfers": {"requested": True}},
                "metadata": {"tenant_id": str(ctx.tenant.id), "party": party},
            }
            if email:
                params["email"] = email
            account = await sc.call(lambda: client.v1.accounts.create(
                params, options={"idempotency_key": f"account:{ctx.tenant.id}:{party}:{acct.id}"}))
            await ctx.session.execute(update(ConnectedAccount).where(ConnectedAccount.id == acct.id)
                                      .values(stripe_account_id=account.id, updated_at=utcnow())
                                      .execution_options(synchronize_session=False))
            await ctx.session.commit()
            acct.stripe_account_id = account.id
        link = await sc.call(lambda: client.v1.account_links.create({
            "account": acct.stripe_account_id, "type": "account_onboarding",
            "return_url": return_url, "refresh_url": refresh_url}))
    except stripe.InvalidRequestError as exc:
        raise InputError(str(exc.user_message or exc), field="party") from None
    except stripe.StripeError as exc:
        raise sc.ProviderUnavailable(f"Stripe did not answer: {exc}") from None
    return acct, link.url, created


async def refresh_account(ctx: Any, acct: ConnectedAccount) -> ConnectedAccount:
    """Re-fetch the account; when it becomes able to receive transfers, pay what waited for it."""
    if acct.stripe_account_id is None:
        return acct
    client = sc.client("connect")
    account = await sc.call(lambda: client.v1.accounts.retrieve(acct.stripe_account_id))
    caps = sc.as_dict(getattr(account, "capabilities", None))
    active = caps.get("transfers") == "active" or bool(getattr(account, "payouts_enabled", False))
    status = "active" if active else "pending"
    if status != acct.status:
        await ctx.session.execute(update(ConnectedAccount).where(ConnectedAccount.id == acct.id)
                                  .values(status=status, updated_at=utcnow())
                                  .execution_options(synchronize_session=False))
        acct.status = status
        if active:
            orders = (await ctx.session.scalars(
                select(SettlementLine.order_id).where(SettlementLine.party == acct.party,
                                                      SettlementLine.status == L_PENDING).distinct())).all()
            for order_id in orders:
                enqueue_after_commit(ctx.session, "payments.payout", order_id=order_id)
        await ctx.session.commit()
    return acct


async def _active_destination(ctx: Any, party: str) -> str | None:
    acct = await ctx.session.scalar(select(ConnectedAccount).where(ConnectedAccount.party == party)
                                    .execution_options(populate_existing=True))
    if acct is None or acct.stripe_account_id is None:
        return None
    if acct.status != "active":
        acct = await refresh_account(ctx, acct)
    return acct.stripe_account_id if acct.status == "active" else None


# --- payouts -----------------------------------------------------------------------------------


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
        destination = await _active_destination(ctx, line.party)
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


# --- reversals ----------------------------------------------------------------------------------


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


# --- reports and reconciliation --------------------------------------------------------------------


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
    from qudao.plugins.payments.models import PAYMENT_OPEN
    from qudao.plugins.payments.service import refresh_card_payment

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


__all__ = ["L_OFFLINE", "PayoutIncomplete", "onboard", "payout_order", "reconcile", "refresh_account",
           "resolve_party", "reverse_refund"]
