"""What finance does with receivables: repayments (allocated to the oldest open items), debits,
adjustments, setting a credit line, and the views of entries and open items."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.customers.models import Customer
from qudao.core.plugin_api import audit, gather_hook, utcnow
from qudao.plugins.credit.accounts import (
    CreditRefused,
    account_for,
    add_entry,
    bump,
    money,
    tenant_today,
    terms_for,
    who,
)
from qudao.plugins.credit.models import (
    ADJUSTMENT,
    HOLD_HELD,
    HOLD_SETTLED,
    LIMIT,
    REPAYMENT,
    CreditAccount,
    CreditEntry,
    CreditHold,
    to_minor,
)


async def _allocate(session: AsyncSession, account: CreditAccount, amount: int) -> list[tuple[CreditHold, int]]:
    """Allocate a repayment to open items, oldest due date first (no due date last)."""
    items = (await session.scalars(
        select(CreditHold).where(CreditHold.account_id == account.id, CreditHold.status == HOLD_HELD,
                                 CreditHold.outstanding_minor > 0)
        .order_by(CreditHold.due_date.is_(None), CreditHold.due_date, CreditHold.created_at, CreditHold.id)
        .execution_options(populate_existing=True)
    )).all()
    done: list[tuple[CreditHold, int]] = []
    left = amount
    for item in items:
        if left <= 0:
            break
        part = min(left, item.outstanding_minor)
        item.outstanding_minor -= part
        if item.outstanding_minor == 0:
            item.status = HOLD_SETTLED
            item.closed_at = utcnow()
        left -= part
        done.append((item, part))
    return done


async def repay(ctx: Any, account: CreditAccount, amount_minor: int, *, kind: str = REPAYMENT,
                note: str = "", reference: str = "") -> CreditEntry:
    """Money received (or a credit note): frees credit. Refused if more than what is owed."""
    assert amount_minor > 0
    if await bump(ctx.session, account, -amount_minor) is None:
        fresh = await account_for(ctx.session, account.customer_id, fresh=True)
        owed = fresh.used_minor if fresh else 0
        raise CreditRefused(f"is more than the {money(owed, account.currency)} "
                            "the customer owes", owed)
    parts = await _allocate(ctx.session, account, amount_minor)
    applied = ", ".join(f"{i.order_number or 'adjustment'} {money(p, account.currency)}"
                        for i, p in parts)
    full_note = note if not applied else (f"{note} (applied to {applied})" if note else f"applied to {applied}")
    return await add_entry(ctx, account, kind, -amount_minor, note=full_note, reference=reference)


async def debit(ctx: Any, account: CreditAccount, amount_minor: int, *, note: str = "") -> CreditEntry:
    """A manual debit (e.g. an opening balance): an open item due per the payment terms.

    Finance's word is final, so it may take ``used`` above the limit (new orders are
    then refused until enough is repaid).
    """
    assert amount_minor > 0
    await bump(ctx.session, account, amount_minor, enforce_limit=False)
    terms = terms_for(ctx, account)
    due = tenant_today(ctx) + timedelta(days=terms) if terms is not None else None
    ctx.session.add(CreditHold(account_id=account.id, customer_id=account.customer_id, kind="adjustment",
                               amount_minor=amount_minor, outstanding_minor=amount_minor, status=HOLD_HELD,
                               due_date=due, note=note[:500]))
    return await add_entry(ctx, account, ADJUSTMENT, amount_minor, note=note)


async def adjust(ctx: Any, account: CreditAccount, delta_minor: int, *, note: str) -> CreditEntry:
    """Finance's correction: + books an open item (debit), - is allocated like a repayment."""
    if delta_minor > 0:
        return await debit(ctx, account, delta_minor, note=note)
    return await repay(ctx, account, -delta_minor, kind=ADJUSTMENT, note=note)


async def set_line(ctx: Any, customer: Customer, limit: Decimal, fields: dict[str, Any]) -> tuple[CreditAccount, bool]:
    """Create or update a customer's credit line; returns (account, created)."""
    account = await account_for(ctx.session, customer.id)
    created = account is None
    currency = ctx.tenant.currency or "CNY"
    if account is None:
        account = CreditAccount(customer_id=customer.id, currency=currency, limit_minor=0, used_minor=0)
        ctx.session.add(account)
        await ctx.session.flush()
    before, terms_before = account.limit_minor, account.terms_days
    account.limit_minor = to_minor(limit, account.currency)
    for key in ("terms_days", "valid_from", "valid_until", "block_when_overdue", "note"):
        if key in fields:
            setattr(account, key, fields[key])
    account.updated_at = utcnow()
    uid, email = who(ctx)
    audit(ctx.session, "credit.limit", customer.code,
          None if created else {"limit": money(before, account.currency), "terms_days": terms_before},
          {"limit": money(account.limit_minor, account.currency), "terms_days": account.terms_days},
          user_id=uid, user_email=email)
    if created or before != account.limit_minor:
        old = "none" if created else money(before, account.currency)
        await add_entry(ctx, account, LIMIT, 0, note=f"credit limit {old} → {money(account.limit_minor, account.currency)}")
    await ctx.session.flush()
    if account.limit_minor < before and account.used_minor > account.limit_minor:
        await gather_hook(ctx.hooks.qudao_credit_alert, ctx=ctx, customer_id=account.customer_id,
                          kind="over_limit", message=(
                              f"Your credit limit is now {money(account.limit_minor, account.currency)} and "
                              f"{money(account.used_minor, account.currency)} is used: please settle "
                              f"{money(account.used_minor - account.limit_minor, account.currency)}."))
    return account, created


def entry_view(entry: CreditEntry, currency: str) -> dict[str, Any]:
    return {
        "id": str(entry.id),
        "kind": entry.kind,
        "amount": money(entry.amount_minor, currency),
        "balance": money(entry.balance_minor, currency),
        "order": entry.order_number,
        "reference": entry.reference,
        "note": entry.note,
        "by": entry.user_email,
        "at": entry.at.isoformat(),
    }


def item_view(item: CreditHold, currency: str) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "order": item.order_number,
        "amount": money(item.amount_minor, currency),
        "outstanding": money(item.outstanding_minor, currency),
        "status": item.status,
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "note": item.note,
        "created_at": item.created_at.isoformat(),
    }


async def ledger(session: AsyncSession, account: CreditAccount, limit: int = 200, offset: int = 0) -> list[CreditEntry]:
    return list((await session.scalars(
        select(CreditEntry).where(CreditEntry.account_id == account.id)
        .order_by(CreditEntry.at.desc(), CreditEntry.id.desc()).limit(limit).offset(offset)
    )).all())


async def open_items(session: AsyncSession, account: CreditAccount) -> list[CreditHold]:
    return list((await session.scalars(
        select(CreditHold).where(CreditHold.account_id == account.id, CreditHold.status == HOLD_HELD)
        .order_by(CreditHold.due_date.is_(None), CreditHold.due_date, CreditHold.created_at)
    )).all())
