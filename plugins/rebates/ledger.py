"""Rebate accounts and their ledger: every change of a balance is one conditional UPDATE.

* spending: ``UPDATE rebates_accounts SET balance_minor = balance_minor - :a
  WHERE id = :id AND balance_minor >= :a`` succeeds only when a row comes back, so two
  concurrent orders never spend the same money (PostgreSQL re-checks the WHERE on the newest
  row version after a concurrent update; SQLite runs one writer at a time under BEGIN IMMEDIATE);
* crediting: ``balance_minor + :a``; the CHECK ``balance_minor >= 0`` is the backstop.

Each UPDATE is followed by a ledger row carrying the balance it left, so the balance is the
ledger's sum and the ledger reads as a bank statement.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from qudao.core.plugin_api import fmt, utcnow
from qudao.plugins.rebates.models import PENDING, RebateAccount, RebateEntry, RebateLedger, from_minor


def money(minor: int, currency: str) -> str:
    return fmt(from_minor(minor, currency), currency)


def who(ctx: Any) -> str:
    user = getattr(ctx, "user", None)
    return user.email if user is not None else ""


async def account_for(session: AsyncSession, customer_id: int | None, *, fresh: bool = False) -> RebateAccount | None:
    """The customer's account, if any (``fresh``: re-read, not the identity map's copy)."""
    if customer_id is None:
        return None
    return await session.scalar(select(RebateAccount).where(RebateAccount.customer_id == customer_id),
                                execution_options={"populate_existing": fresh})


async def open_account(ctx: Any, customer_id: int) -> RebateAccount:
    """The customer's account, created empty on first use."""
    account = await account_for(ctx.session, customer_id)
    if account is None:
        account = RebateAccount(customer_id=customer_id, currency=ctx.tenant.currency or "CNY", balance_minor=0,
                                cap_bp=0)
        ctx.session.add(account)
        await ctx.session.flush()
    return account


async def move(ctx: Any, account: RebateAccount, delta: int, kind: str, *, note: str = "", entry: Any = None,
               order: Any = None, program_id: int | None = None) -> RebateLedger | None:
    """Add ``delta`` (minor units, signed) to the balance and write the ledger row.

    None (and nothing written) when a debit is more than the balance.
    """
    new = RebateAccount.balance_minor + delta
    stmt = update(RebateAccount).where(RebateAccount.id == account.id)
    if delta < 0:
        stmt = stmt.where(new >= 0)
    stmt = stmt.values(balance_minor=new, updated_at=utcnow()).returning(RebateAccount.balance_minor)
    balance = (await ctx.session.execute(stmt.execution_options(synchronize_session=False))).scalar_one_or_none()
    if balance is None:
        return None
    set_committed_value(account, "balance_minor", int(balance))
    row = RebateLedger(account_id=account.id, customer_id=account.customer_id, kind=kind, amount_minor=delta,
                       balance_minor=int(balance), entry_id=getattr(entry, "id", None),
                       program_id=program_id if program_id is not None else getattr(entry, "program_id", None),
                       order_id=getattr(order, "id", None), order_number=getattr(order, "number", None),
                       note=note[:500], user_email=who(ctx)[:254])
    ctx.session.add(row)
    return row


async def pending_minor(session: AsyncSession, customer_id: int) -> int:
    return int(await session.scalar(select(func.coalesce(func.sum(RebateEntry.amount_minor), 0)).where(
        RebateEntry.customer_id == customer_id, RebateEntry.status == PENDING)) or 0)


async def entries(session: AsyncSession, account: RebateAccount, limit: int = 200, offset: int = 0) -> list[RebateLedger]:
    return list((await session.scalars(
        select(RebateLedger).where(RebateLedger.account_id == account.id)
        .order_by(RebateLedger.at.desc(), RebateLedger.id.desc()).limit(limit).offset(offset))).all())


def ledger_view(row: RebateLedger, currency: str) -> dict[str, Any]:
    return {"id": str(row.id), "kind": row.kind, "amount": money(row.amount_minor, currency),
            "balance": money(row.balance_minor, currency), "order": row.order_number,
            "entry": str(row.entry_id) if row.entry_id else None, "note": row.note, "by": row.user_email,
            "at": row.at.isoformat()}


class RebateRefused(Exception):
    """A manual debit larger than the balance."""


async def adjust(ctx: Any, customer_id: int, delta_minor: int, reason: str) -> RebateLedger:
    """Finance's correction with a reason: + credits, - debits (never below zero)."""
    from qudao.core.customers.models import Customer
    from qudao.core.plugin_api import audit
    from qudao.plugins.rebates.models import L_ADJUSTMENT

    account = await open_account(ctx, customer_id)
    before = account.balance_minor
    row = await move(ctx, account, delta_minor, L_ADJUSTMENT, note=reason)
    if row is None:
        raise RebateRefused(f"is more than the balance of {money(account.balance_minor, account.currency)}")
    code = await ctx.session.scalar(select(Customer.code).where(Customer.id == customer_id))
    user = getattr(ctx, "user", None)
    audit(ctx.session, "rebates.adjustment", code or str(customer_id), {"balance": money(before, account.currency)},
          {"balance": money(account.balance_minor, account.currency), "change": money(delta_minor, account.currency),
           "reason": reason[:200]}, user_id=getattr(user, "id", None), user_email=who(ctx))
    return row


async def account_view(ctx: Any, customer: Any, *, limit: int = 200, offset: int = 0) -> dict[str, Any]:
    account = await account_for(ctx.session, customer.id)
    currency = account.currency if account else (ctx.tenant.currency or "CNY")
    rows = await entries(ctx.session, account, limit=limit, offset=offset) if account else []
    from qudao.plugins.rebates.progress import display

    balance = account.balance_minor if account else 0
    pending = await pending_minor(ctx.session, customer.id)
    return {"customer": customer.code, "currency": currency,
            "balance": money(balance, currency), "pending": money(pending, currency),
            "balance_text": display(from_minor(balance, currency), currency),
            "pending_text": display(from_minor(pending, currency), currency),
            "max_deduct_percent": f"{(account.cap_bp if account else 0) / 100:g}",
            "ledger": [ledger_view(r, currency) for r in rows]}
