"""Credit rules: check, take, release, settle, repay, adjust.

Every change of ``used_minor`` is one SQL UPDATE evaluated by the database:

* taking credit for an order is the conditional
  ``UPDATE credit_accounts SET used_minor = used_minor + :a
  WHERE id = :id AND used_minor + :a <= :limit_minor`` and succeeds only if a row
  comes back (PostgreSQL re-checks the WHERE on the newest row version after a
  concurrent update; SQLite runs one writer at a time under BEGIN IMMEDIATE);
* giving credit back is ``used_minor - :a WHERE used_minor >= :a``
  (and the CHECK ``used_minor >= 0`` is the backstop).

The account row is therefore the per-customer lock: every operation updates it
first and only then reads or changes that customer's open items, so two
transactions never allocate the same item twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from qudao.core.customers.models import Customer
from qudao.core.plugin_api import Violation, audit, fmt, gather_hook, utcnow
from qudao.plugins.credit.models import (
    ADJUSTMENT,
    CHARGE,
    HOLD_HELD,
    HOLD_RELEASED,
    HOLD_SETTLED,
    LIMIT,
    RELEASE,
    REPAYMENT,
    SETTLE,
    CreditAccount,
    CreditEntry,
    CreditHold,
    from_minor,
    to_minor,
)

PLUGIN = "credit"
CODE_LIMIT = "credit_limit_exceeded"
CODE_OVERDUE = "credit_overdue"


class CreditRefused(Exception):
    """A repayment or adjustment that would take the balance out of range."""

    def __init__(self, message: str, owed_minor: int) -> None:
        super().__init__(message)
        self.owed_minor = owed_minor


# --- small helpers -----------------------------------------------------------


def money(minor: int, currency: str) -> str:
    """Integer minor units -> the contract's decimal string ("1234.50")."""
    return fmt(from_minor(minor, currency), currency)


def plugin_settings(ctx: Any) -> dict[str, Any]:
    return ctx.settings(PLUGIN) if hasattr(ctx, "settings") else {}


def tenant_today(ctx: Any) -> date:
    try:
        tz = ZoneInfo(ctx.tenant.timezone or "Asia/Shanghai")
    except Exception:  # noqa: BLE001 - an unknown zone name must not break checkout
        tz = ZoneInfo("Asia/Shanghai")
    return datetime.now(tz).date()


def terms_for(ctx: Any, account: CreditAccount) -> int | None:
    if account.terms_days is not None:
        return account.terms_days
    value = plugin_settings(ctx).get("default_terms_days")
    return int(value) if value not in (None, "") else None


def blocks_when_overdue(ctx: Any, account: CreditAccount) -> bool:
    if account.block_when_overdue is not None:
        return bool(account.block_when_overdue)
    return bool(plugin_settings(ctx).get("block_overdue"))


def who(ctx: Any) -> tuple[int | None, str]:
    user = getattr(ctx, "user", None)
    return (user.id, user.email) if user is not None else (None, "")


async def account_for(session: AsyncSession, customer_id: int | None, *, fresh: bool = False) -> CreditAccount | None:
    if customer_id is None:
        return None
    stmt = select(CreditAccount).where(CreditAccount.customer_id == customer_id)
    if fresh:
        stmt = stmt.execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def customer_by_code(session: AsyncSession, code: str) -> Customer | None:
    return await session.scalar(select(Customer).where(Customer.code == code))


async def overdue(session: AsyncSession, account: CreditAccount, today: date) -> tuple[int, date | None]:
    """(overdue amount in minor units, oldest due date among overdue items)."""
    row = (await session.execute(
        select(func.coalesce(func.sum(CreditHold.outstanding_minor), 0), func.min(CreditHold.due_date)).where(
            CreditHold.account_id == account.id, CreditHold.status == HOLD_HELD,
            CreditHold.outstanding_minor > 0, CreditHold.due_date.is_not(None), CreditHold.due_date < today,
        )
    )).one()
    return int(row[0] or 0), row[1]


@dataclass
class Standing:
    """What a customer's credit looks like today (for the API, pages and checks)."""

    account: CreditAccount
    valid: bool
    overdue_minor: int
    overdue_since: date | None
    blocks: bool

    @property
    def currency(self) -> str:
        return self.account.currency

    @property
    def effective_limit_minor(self) -> int:
        return self.account.limit_minor if self.valid else 0

    @property
    def available_minor(self) -> int:
        return max(self.effective_limit_minor - self.account.used_minor, 0)

    def money(self, minor: int) -> str:
        return money(minor, self.currency)

    def view(self, customer: Customer | None = None) -> dict[str, Any]:
        a = self.account
        out: dict[str, Any] = {}
        if customer is not None:
            out["customer"] = customer.code
        out.update({
            "limit": self.money(a.limit_minor),
            "used": self.money(a.used_minor),
            "available": self.money(self.available_minor),
            "currency": a.currency,
            "terms_days": a.terms_days,
            "valid_from": a.valid_from.isoformat() if a.valid_from else None,
            "valid_until": a.valid_until.isoformat() if a.valid_until else None,
            "active": self.valid,
            "block_when_overdue": a.block_when_overdue,
            "overdue": self.money(self.overdue_minor),
            "overdue_since": self.overdue_since.isoformat() if self.overdue_since else None,
            "blocked": self.blocks and self.overdue_minor > 0,
        })
        return out


async def standing(ctx: Any, account: CreditAccount) -> Standing:
    today = tenant_today(ctx)
    owed, since = await overdue(ctx.session, account, today)
    return Standing(account=account, valid=account.valid_on(today), overdue_minor=owed, overdue_since=since,
                    blocks=blocks_when_overdue(ctx, account))


async def all_lines(ctx: Any) -> list[tuple[Customer, Standing]]:
    """Every credit line of the tenant with its standing, in two queries (by customer code)."""
    today = tenant_today(ctx)
    rows = (await ctx.session.execute(
        select(CreditAccount, Customer).join(Customer, Customer.id == CreditAccount.customer_id)
        .order_by(Customer.code))).all()
    late = {
        r[0]: (int(r[1] or 0), r[2]) for r in (await ctx.session.execute(
            select(CreditHold.account_id, func.sum(CreditHold.outstanding_minor), func.min(CreditHold.due_date))
            .where(CreditHold.status == HOLD_HELD, CreditHold.outstanding_minor > 0,
                   CreditHold.due_date.is_not(None), CreditHold.due_date < today)
            .group_by(CreditHold.account_id))).all()
    }
    return [
        (customer, Standing(account=account, valid=account.valid_on(today),
                            overdue_minor=late.get(account.id, (0, None))[0],
                            overdue_since=late.get(account.id, (0, None))[1],
                            blocks=blocks_when_overdue(ctx, account)))
        for account, customer in rows
    ]


# --- checks --------------------------------------------------------------------


def _refusals(st: Standing, amount_minor: int) -> list[Violation]:
    a = st.account
    out: list[Violation] = []
    if st.blocks and st.overdue_minor > 0:
        out.append(Violation(CODE_OVERDUE, (
            f"An overdue balance of {st.money(st.overdue_minor)} (due since {st.overdue_since}) must be "
            f"settled before new orders can be placed on credit.")))
    after = a.used_minor + amount_minor
    if after > st.effective_limit_minor:
        settle = after - st.effective_limit_minor
        if st.valid:
            why = (f"this order of {st.money(amount_minor)} would take credit used to {st.money(after)}, "
                   f"over the credit limit of {st.money(a.limit_minor)} "
                   f"(available {st.money(st.available_minor)})")
        else:
            span = f"{a.valid_from or '…'} – {a.valid_until or '…'}"
            why = f"the credit line is valid {span} only, so there is no credit available today"
        out.append(Violation(CODE_LIMIT, (
            f"Credit limit exceeded: {why}. Settle {st.money(settle)} to place this order.")))
    return out


async def check_amount(ctx: Any, customer_id: int | None, amount: Decimal) -> list[Violation]:
    """Read-only check used at quote and before placement; the placement hook decides for real."""
    account = await account_for(ctx.session, customer_id)
    if account is None:
        return []  # credit applies only to customers with a credit account
    amount_minor = to_minor(amount, account.currency)
    if amount_minor <= 0:
        return []
    return _refusals(await standing(ctx, account), amount_minor)


# --- changes -------------------------------------------------------------------


async def _bump(session: AsyncSession, account: CreditAccount, delta: int, *, cap: int | None = None,
                enforce_limit: bool = True) -> int | None:
    """Atomically add ``delta`` to used_minor; None if the limit or the zero floor would be crossed.

    ``cap`` is the limit in force for this check, passed as a bound value (an
    account outside its validity period is checked against 0); by default the
    row's own ``limit_minor`` is compared in SQL.
    """
    new = CreditAccount.used_minor + delta
    stmt = update(CreditAccount).where(CreditAccount.id == account.id)
    if delta > 0 and enforce_limit:
        stmt = stmt.where(new <= (CreditAccount.limit_minor if cap is None else cap))
    elif delta < 0:
        stmt = stmt.where(new >= 0)
    stmt = stmt.values(used_minor=new, updated_at=utcnow()).returning(CreditAccount.used_minor)
    used = (await session.execute(stmt.execution_options(synchronize_session=False))).scalar_one_or_none()
    if used is None:
        return None
    set_committed_value(account, "used_minor", int(used))  # keep the identity map in step, no flush
    return int(used)


async def _entry(ctx: Any, account: CreditAccount, kind: str, amount_minor: int, *, order: Any = None,
                 note: str = "", reference: str = "") -> CreditEntry:
    uid, email = who(ctx)
    entry = CreditEntry(account_id=account.id, customer_id=account.customer_id, kind=kind,
                        amount_minor=amount_minor, balance_minor=account.used_minor,
                        order_id=getattr(order, "id", None), order_number=getattr(order, "number", None),
                        note=note[:500], reference=reference[:100], user_id=uid, user_email=email or "")
    ctx.session.add(entry)
    if uid is not None and kind in (REPAYMENT, ADJUSTMENT):  # finance moved money: audited
        customer = await ctx.session.get(Customer, (ctx.tenant.id, account.customer_id))
        audit(ctx.session, f"credit.{kind}", customer.code if customer else str(account.customer_id),
              {"used": money(account.used_minor - amount_minor, account.currency)},
              {"used": money(account.used_minor, account.currency), "change": money(amount_minor, account.currency),
               "note": note[:200]}, user_id=uid, user_email=email or "")
    return entry


async def take_for_order(ctx: Any, order: Any) -> list[Violation]:
    """Inside the placement transaction: hold the order's total or refuse it."""
    account = await account_for(ctx.session, order.customer_id)
    if account is None:
        return []
    amount = to_minor(order.total, account.currency)
    if amount <= 0:
        return []
    st = await standing(ctx, account)
    if st.blocks and st.overdue_minor > 0:
        return _refusals(st, 0)
    if await _bump(ctx.session, account, amount, cap=None if st.valid else 0) is None:
        account = await account_for(ctx.session, order.customer_id, fresh=True)
        assert account is not None
        refused = _refusals(await standing(ctx, account), amount)
        return refused or [Violation(CODE_LIMIT, f"Credit limit exceeded: settle {st.money(amount)} first.")]
    terms = terms_for(ctx, account)
    due = tenant_today(ctx) + timedelta(days=terms) if terms is not None else None  # the order is placed now
    await ctx.session.flush()  # the order row first: the hold references it
    ctx.session.add(CreditHold(account_id=account.id, customer_id=account.customer_id, kind="order",
                               order_id=order.id, order_number=order.number, amount_minor=amount,
                               outstanding_minor=amount, status=HOLD_HELD, due_date=due))
    await _entry(ctx, account, CHARGE, amount, order=order,
                 note=f"due {due.isoformat()}" if due else "")
    await alert_if_crossed(ctx, account, account.used_minor - amount)
    return []


async def held_for_order(ctx: Any, order: Any) -> tuple[CreditAccount, CreditHold] | None:
    """The order's open hold with its account row locked, or None when nothing is held."""
    hold = await ctx.session.scalar(select(CreditHold).where(CreditHold.order_id == order.id))
    if hold is None or hold.status != HOLD_HELD:
        return None
    account = await ctx.session.scalar(
        select(CreditAccount).where(CreditAccount.id == hold.account_id).with_for_update()
        .execution_options(populate_existing=True))
    if account is None:
        return None
    # the account row is locked now: re-read the item (a repayment may have changed it)
    hold = await ctx.session.scalar(select(CreditHold).where(CreditHold.id == hold.id)
                                    .execution_options(populate_existing=True))
    if hold is None or hold.status != HOLD_HELD:
        return None
    return account, hold


async def order_edited(ctx: Any, order: Any) -> list[Violation]:
    """Staff changed a submitted order: hold its new total, or refuse the edit over the limit."""
    found = await held_for_order(ctx, order)
    if found is None:
        return []  # placed without a credit line (or already closed): nothing held, nothing to change
    account, hold = found
    new_amount = to_minor(order.total, account.currency)
    delta = new_amount - hold.amount_minor
    if delta == 0:
        return []
    # A repayment may already have settled part of the hold: what stays open moves by the same delta.
    change = max(delta, -hold.outstanding_minor)
    if change > 0:
        st = await standing(ctx, account)
        if await _bump(ctx.session, account, change, cap=None if st.valid else 0) is None:
            fresh = await account_for(ctx.session, order.customer_id, fresh=True)
            assert fresh is not None
            st = await standing(ctx, fresh)
            return [Violation(CODE_LIMIT, (
                f"Credit limit exceeded: the edit adds {st.money(change)} to order {order.number}, "
                f"but only {st.money(st.available_minor)} of credit is available."))]
    elif change < 0 and await _bump(ctx.session, account, change) is None:
        raise RuntimeError("credit ledger out of balance")
    hold.amount_minor = new_amount
    hold.outstanding_minor += change
    if change:
        await _entry(ctx, account, CHARGE if change > 0 else RELEASE, change, order=order,
                     note=f"order edited: total {money(new_amount - delta, account.currency)} → "
                          f"{money(new_amount, account.currency)}")
    if change > 0:
        await alert_if_crossed(ctx, account, account.used_minor - change)
    return []


async def alert_if_crossed(ctx: Any, account: CreditAccount, before_minor: int) -> None:
    """Fire ``qudao_credit_alert`` once when used credit crosses the warning share of the limit."""
    share = int(plugin_settings(ctx).get("warn_at_percent") or 0)
    if share <= 0 or account.limit_minor <= 0:
        return
    threshold = account.limit_minor * share // 100
    if before_minor < threshold <= account.used_minor:
        st = await standing(ctx, account)
        await gather_hook(ctx.hooks.qudao_credit_alert, ctx=ctx, customer_id=account.customer_id,
                          kind="near_limit", message=(
                              f"Credit used {st.money(account.used_minor)} of {st.money(account.limit_minor)} "
                              f"({account.used_minor * 100 // account.limit_minor}%); "
                              f"available {st.money(st.available_minor)}."))


async def close_order(ctx: Any, order: Any, *, paid: bool, note: str = "") -> None:
    """Give back what an order still holds: released (rejected/cancelled) or settled (paid)."""
    found = await held_for_order(ctx, order)
    if found is None:
        return
    account, hold = found
    give_back = hold.outstanding_minor
    if give_back > 0 and await _bump(ctx.session, account, -give_back) is None:
        raise RuntimeError("credit ledger out of balance")  # the CHECK backstop would fire anyway
    hold.outstanding_minor = 0
    hold.status = HOLD_SETTLED if paid else HOLD_RELEASED
    hold.closed_at = utcnow()
    if give_back > 0:
        await _entry(ctx, account, SETTLE if paid else RELEASE, -give_back, order=order, note=note)


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
    if await _bump(ctx.session, account, -amount_minor) is None:
        fresh = await account_for(ctx.session, account.customer_id, fresh=True)
        owed = fresh.used_minor if fresh else 0
        raise CreditRefused(f"is more than the {money(owed, account.currency)} "
                            "the customer owes", owed)
    parts = await _allocate(ctx.session, account, amount_minor)
    applied = ", ".join(f"{i.order_number or 'adjustment'} {money(p, account.currency)}"
                        for i, p in parts)
    full_note = note if not applied else (f"{note} (applied to {applied})" if note else f"applied to {applied}")
    return await _entry(ctx, account, kind, -amount_minor, note=full_note, reference=reference)


async def debit(ctx: Any, account: CreditAccount, amount_minor: int, *, note: str = "") -> CreditEntry:
    """A manual debit (e.g. an opening balance): an open item due per the payment terms.

    Finance's word is final, so it may take ``used`` above the limit (new orders are
    then refused until enough is repaid).
    """
    assert amount_minor > 0
    await _bump(ctx.session, account, amount_minor, enforce_limit=False)
    terms = terms_for(ctx, account)
    due = tenant_today(ctx) + timedelta(days=terms) if terms is not None else None
    ctx.session.add(CreditHold(account_id=account.id, customer_id=account.customer_id, kind="adjustment",
                               amount_minor=amount_minor, outstanding_minor=amount_minor, status=HOLD_HELD,
                               due_date=due, note=note[:500]))
    return await _entry(ctx, account, ADJUSTMENT, amount_minor, note=note)


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
        await _entry(ctx, account, LIMIT, 0, note=f"credit limit {old} → {money(account.limit_minor, account.currency)}")
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


__all__ = [
    "ADJUSTMENT", "CODE_LIMIT", "CODE_OVERDUE", "CreditRefused", "HOLD_RELEASED", "HOLD_SETTLED", "Standing",
    "account_for", "adjust", "all_lines", "check_amount", "close_order", "customer_by_code", "debit", "entry_view", "item_view",
    "ledger", "open_items", "repay", "set_line", "standing", "take_for_order",
]
