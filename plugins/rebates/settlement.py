"""Settlement: close a program's period into pending entries, then approve or reject them.

Closing is idempotent: the ``rebates_periods`` row is unique per (program, period), so a
second close (a button pressed twice, the job re-delivered) finds the first and returns its
entries. A period can be closed only after it ended (the brand's time zone), so no accrual
can land in it afterwards. Each customer with a positive rebate gets one ``pending`` entry;
approving flips it with a conditional UPDATE (``WHERE status = 'pending'``, so approving
twice is refused) and credits the customer's account through the ledger in the same
transaction; rejecting needs a reason and credits nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from qudao.core.customers.models import Customer
from qudao.core.errors import Conflict, InputError, NotFound
from qudao.core.plugin_api import audit, gather_hook, utcnow
from qudao.plugins.rebates import clock, ledger
from qudao.plugins.rebates.accrual import custom_range
from qudao.plugins.rebates.models import (
    APPROVED,
    L_APPROVAL,
    PENDING,
    REJECTED,
    RebateAccrual,
    RebateEntry,
    RebatePeriod,
    RebateProgram,
    from_minor,
    to_minor,
)
from qudao.plugins.rebates.periods import Period, parse_period
from qudao.plugins.rebates.progress import estimate, rate_text


def period_of_text(program: RebateProgram, text: Any) -> Period:
    try:
        return parse_period(program.period, text, custom_range(program))
    except ValueError as exc:
        raise InputError(str(exc), field="period") from None


async def close(ctx: Any, program: RebateProgram, period: Period) -> tuple[list[RebateEntry], bool]:
    """Close ``period`` of ``program``: (its entries, True if this call closed it)."""
    session = ctx.session
    existing = await session.scalar(select(RebatePeriod).where(RebatePeriod.program_id == program.id,
                                                               RebatePeriod.period_key == period.key))
    if existing is not None:
        return await entries_of(ctx, program, period.key), False
    today = clock.today(ctx)
    if period.ends_on >= today:
        raise Conflict(f"the period {period.key} ends on {period.ends_on.isoformat()}; close it after that day")
    try:
        async with session.begin_nested():
            session.add(RebatePeriod(program_id=program.id, period_key=period.key, starts_on=period.starts_on,
                                     ends_on=period.ends_on, closed_by=ledger.who(ctx)[:254]))
            await session.flush()
    except IntegrityError:  # a concurrent close won: answer with its entries
        return await entries_of(ctx, program, period.key), False
    currency = ctx.tenant.currency or "CNY"
    rows = (await session.execute(
        select(RebateAccrual.customer_id, func.sum(RebateAccrual.amount_minor), func.sum(RebateAccrual.qty))
        .where(RebateAccrual.program_id == program.id, RebateAccrual.period_key == period.key)
        .group_by(RebateAccrual.customer_id).order_by(RebateAccrual.customer_id))).all()
    made = []
    for customer_id, amount_minor, qty in rows:
        amount = from_minor(int(amount_minor or 0), currency)
        units = int(qty or 0)
        rebate = to_minor(estimate(program, amount, units, currency), currency)
        if rebate <= 0:
            continue
        entry = RebateEntry(program_id=program.id, customer_id=customer_id, period_key=period.key,
                            basis_minor=int(amount_minor or 0), qty=units,
                            rate=rate_text(program, amount, units, currency), amount_minor=rebate,
                            currency=currency, status=PENDING)
        session.add(entry)
        made.append(entry)
    await session.flush()
    return made, True


async def entries_of(ctx: Any, program: RebateProgram, key: str) -> list[RebateEntry]:
    return list((await ctx.session.scalars(select(RebateEntry).where(
        RebateEntry.program_id == program.id, RebateEntry.period_key == key).order_by(RebateEntry.id))).all())


async def entry_by_id(ctx: Any, raw_id: Any) -> RebateEntry:
    try:
        entry_id = int(str(raw_id)[:30])
    except ValueError:
        raise NotFound(f"no rebate entry '{str(raw_id)[:30]}'") from None
    if not 0 < entry_id < 2**63:  # ids are 63-bit: anything else is no row (and no database error)
        raise NotFound(f"no rebate entry '{entry_id}'")
    entry = await ctx.session.scalar(select(RebateEntry).where(RebateEntry.id == entry_id))
    if entry is None:
        raise NotFound(f"no rebate entry '{raw_id}'")
    return entry


def _audit_decision(ctx: Any, entry: RebateEntry, status: str) -> None:
    user = getattr(ctx, "user", None)
    audit(ctx.session, f"rebates.{status}", str(entry.id), {"status": PENDING},
          {"status": status, "amount": ledger.money(entry.amount_minor, entry.currency), "period": entry.period_key,
           "reason": entry.reason[:200]}, user_id=getattr(user, "id", None), user_email=ledger.who(ctx))


async def _decide(ctx: Any, entry: RebateEntry, status: str, reason: str) -> None:
    done = await ctx.session.execute(
        update(RebateEntry).where(RebateEntry.id == entry.id, RebateEntry.status == PENDING)
        .values(status=status, reason=reason[:500], decided_by=ledger.who(ctx)[:254], decided_at=utcnow())
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        fresh = await ctx.session.scalar(select(RebateEntry.status).where(RebateEntry.id == entry.id))
        raise Conflict(f"the entry is {fresh} already; only a pending entry can be approved or rejected")
    await ctx.session.refresh(entry)
    _audit_decision(ctx, entry, status)


async def approve(ctx: Any, entry: RebateEntry, reason: str = "") -> None:
    """Approve a pending entry and credit the customer's account (one transaction)."""
    await _decide(ctx, entry, APPROVED, reason)
    program = await ctx.session.scalar(select(RebateProgram).where(RebateProgram.id == entry.program_id))
    account = await ledger.open_account(ctx, entry.customer_id)
    cap_bp = int(Decimal(program.max_deduct_percent if program else "0") * 100)
    if cap_bp > account.cap_bp:
        account.cap_bp = cap_bp
    await ledger.move(ctx, account, entry.amount_minor, L_APPROVAL, entry=entry,
                      note=f"{program.code if program else ''} {entry.period_key}".strip())
    await notify(ctx, entry, program)


async def reject(ctx: Any, entry: RebateEntry, reason: str) -> None:
    if not reason.strip():
        raise InputError("is required: say why the rebate is rejected", field="reason")
    await _decide(ctx, entry, REJECTED, reason.strip())


async def approve_many(ctx: Any, ids: Any) -> list[RebateEntry]:
    """Bulk approve: every id must be a pending entry of this tenant, else nothing is approved."""
    if not isinstance(ids, list) or not ids or len(ids) > 1000:
        raise InputError("give 1 to 1000 entry ids", field="ids")
    entries = [await entry_by_id(ctx, i) for i in ids]
    for entry in entries:
        await approve(ctx, entry)
    return entries


async def notify(ctx: Any, entry: RebateEntry, program: RebateProgram | None) -> None:
    """Tell the customer's buyers (WeChat implements ``qudao_customer_notice``)."""
    hook = getattr(ctx.hooks, "qudao_customer_notice", None)
    if hook is None:
        return
    amount = ledger.money(entry.amount_minor, entry.currency)
    name = program.name if program else ""
    await gather_hook(hook, ctx=ctx, customer_id=entry.customer_id, kind="rebate_approved",
                      title="返利已到账" if (ctx.tenant.locale or "zh_CN").startswith("zh") else "Rebate approved",
                      message=(f"{name} {entry.period_key}: 返利 {amount} 已计入您的返利账户。"
                               if (ctx.tenant.locale or "zh_CN").startswith("zh") else
                               f"{name} {entry.period_key}: a rebate of {amount} is now in your rebate account."),
                      key=f"entry:{entry.id}", url="/rebates")


async def entry_views(ctx: Any, entries: list[RebateEntry]) -> list[dict[str, Any]]:
    programs = {p.id: p.code for p in (await ctx.session.scalars(
        select(RebateProgram).where(RebateProgram.id.in_({e.program_id for e in entries})))).all()} if entries else {}
    customers = {c.id: c.code for c in (await ctx.session.scalars(
        select(Customer).where(Customer.id.in_({e.customer_id for e in entries})))).all()} if entries else {}
    return [entry_view(e, programs.get(e.program_id, ""), customers.get(e.customer_id, "")) for e in entries]


def entry_view(e: RebateEntry, program: str, customer: str) -> dict[str, Any]:
    return {"id": str(e.id), "program": program, "period": e.period_key, "customer": customer,
            "basis": ledger.money(e.basis_minor, e.currency), "qty": e.qty, "rate": e.rate,
            "amount": ledger.money(e.amount_minor, e.currency), "status": e.status, "reason": e.reason,
            "decided_by": e.decided_by, "decided_at": e.decided_at.isoformat() if e.decided_at else None,
            "created_at": e.created_at.isoformat()}


async def list_entries(ctx: Any, *, status: str | None = None, program: str | None = None,
                       period: str | None = None, customer: str | None = None, limit: int = 200,
                       offset: int = 0) -> list[RebateEntry]:
    for name, value in (("program", program), ("period", period), ("customer", customer)):
        if value is not None and (len(value) > 64 or "\x00" in value):
            raise InputError("must be a code of at most 64 characters", field=name)
    stmt = select(RebateEntry)
    if status:
        if status not in (PENDING, APPROVED, REJECTED):
            raise InputError("must be pending, approved or rejected", field="status")
        stmt = stmt.where(RebateEntry.status == status)
    if program:
        stmt = stmt.where(RebateEntry.program_id.in_(select(RebateProgram.id).where(RebateProgram.code == program)))
    if period:
        stmt = stmt.where(RebateEntry.period_key == period)
    if customer:
        stmt = stmt.where(RebateEntry.customer_id.in_(select(Customer.id).where(Customer.code == customer)))
    stmt = stmt.order_by(RebateEntry.created_at.desc(), RebateEntry.id.desc()).limit(limit).offset(offset)
    return list((await ctx.session.scalars(stmt)).all())
