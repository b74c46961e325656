"""A customer's credit account: terms and settings, the account row (the per-customer lock), its
standing (limit, used, overdue) and the ledger entries every change writes.

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
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from qudao.core.customers.models import Customer
from qudao.core.plugin_api import audit, fmt, independent, prepared, run, tenant_filtered, tenant_is, utcnow
from qudao.plugins.credit.models import (
    ADJUSTMENT,
    HOLD_HELD,
    REPAYMENT,
    CreditAccount,
    CreditEntry,
    CreditHold,
    from_minor,
)

PLUGIN = "credit"


CODE_LIMIT = "credit_limit_exceeded"


CODE_OVERDUE = "credit_overdue"


class CreditRefused(Exception):
    """A repayment or adjustment that would take the balance out of range."""

    def __init__(self, message: str, owed_minor: int) -> None:
        super().__init__(message)
        self.owed_minor = owed_minor


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


def _overdue_items(account_id: Any, today: date) -> Any:
    return (CreditHold.account_id == account_id, CreditHold.status == HOLD_HELD, CreditHold.outstanding_minor > 0,
            CreditHold.due_date.is_not(None), CreditHold.due_date < today)


async def overdue(session: AsyncSession, account: CreditAccount, today: date) -> tuple[int, date | None]:
    """(overdue amount in minor units, oldest due date among overdue items)."""
    row = (await session.execute(
        select(func.coalesce(func.sum(CreditHold.outstanding_minor), 0), func.min(CreditHold.due_date))
        .where(*_overdue_items(account.id, today)))).one()
    return int(row[0] or 0), row[1]


async def account_and_overdue(session: AsyncSession, customer_id: int,
                              today: date) -> tuple[CreditAccount, int, date | None] | None:
    """The account with its overdue amount and oldest due date in one statement (checkout asks
    for all three on every quote and order)."""
    row = (await session.execute(_account_statement(), {"customer_id": customer_id, "today": today})).first()
    return None if row is None else (row[0], int(row[1] or 0), row[2])


@prepared
def _account_statement() -> Any:
    items = _overdue_items(CreditAccount.id, bindparam("today", type_=CreditHold.due_date.type))
    owed = select(func.coalesce(func.sum(CreditHold.outstanding_minor), 0)).where(*items).scalar_subquery()
    since = select(func.min(CreditHold.due_date)).where(*items).scalar_subquery()
    return select(CreditAccount, owed, since).where(CreditAccount.customer_id == bindparam("customer_id"))


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
    return standing_of(ctx, account, today, owed, since)


def standing_of(ctx: Any, account: CreditAccount, today: date, owed: int, since: date | None) -> Standing:
    return Standing(account=account, valid=account.valid_on(today), overdue_minor=owed, overdue_since=since,
                    blocks=blocks_when_overdue(ctx, account))


async def customer_standing(ctx: Any, customer_id: int | None) -> Standing | None:
    """A customer's standing in one statement; None without a credit account."""
    if customer_id is None:
        return None
    today = tenant_today(ctx)
    found = await account_and_overdue(ctx.session, customer_id, today)
    return None if found is None else standing_of(ctx, found[0], today, found[1], found[2])


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


@prepared
def _bump_statement(check: str) -> Any:
    """``used_minor += :delta`` on account ``:aid``, checked against its own limit ("limit"),
    the bound ``:cap`` ("cap"), zero ("floor") or nothing ("")."""
    t = CreditAccount.__table__
    new = t.c.used_minor + bindparam("delta", type_=t.c.used_minor.type)
    stmt = update(t).where(tenant_is(t), t.c.id == bindparam("aid"))
    if check == "limit":
        stmt = stmt.where(new <= t.c.limit_minor)
    elif check == "cap":
        stmt = stmt.where(new <= bindparam("cap", type_=t.c.limit_minor.type))
    elif check == "floor":
        stmt = stmt.where(new >= 0)
    return independent(tenant_filtered(stmt.values(used_minor=new, updated_at=bindparam("now", type_=t.c.updated_at.type))
                                       .returning(t.c.used_minor)))


async def bump(session: AsyncSession, account: CreditAccount, delta: int, *, cap: int | None = None,
                enforce_limit: bool = True) -> int | None:
    """Atomically add ``delta`` to used_minor; None if the limit or the zero floor would be crossed.

    ``cap`` is the limit in force for this check, passed as a bound value (an
    account outside its validity period is checked against 0); by default the
    row's own ``limit_minor`` is compared in SQL.
    """
    check = ("cap" if cap is not None else "limit") if delta > 0 and enforce_limit else "floor" if delta < 0 else ""
    used = (await run(session, _bump_statement(check), aid=account.id, delta=delta, cap=cap,
                      now=utcnow())).scalar_one_or_none()
    if used is None:
        return None
    set_committed_value(account, "used_minor", int(used))  # keep the identity map in step, no flush
    return int(used)


async def add_entry(ctx: Any, account: CreditAccount, kind: str, amount_minor: int, *, order: Any = None,
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
