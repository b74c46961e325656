"""Recording use at placement under the limits (total, per customer), re-syncing an edited order,
and giving uses back when an order is released."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select, update

from qudao.core.plugin_api import (
    TenantContext,
    add_rows,
    independent,
    prepared,
    run,
    tenant_filtered,
    tenant_is,
)
from qudao.plugins.promotions import texts as T
from qudao.plugins.promotions.models import Promotion, Redemption
from qudao.plugins.promotions.offers import customer_uses


async def record(ctx: TenantContext, order: Any, applied: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Record the promotions an order used; return (code, message) refusals.

    A promotion with a total limit is counted with a conditional UPDATE (row lock on PostgreSQL,
    one writer on SQLite), promotion rows in id order, so parallel orders never overrun it. One
    without a limit is not counted here (its uses are its redemptions): an UPDATE would make
    every order of a running promotion wait for the one before it to commit, one order at a
    time on the busiest row of a sale. It is read ``FOR SHARE`` instead, which orders hold
    together; a clerk who gives it a limit waits for them and counts their redemptions
    (``editing.upsert``), and an order after the clerk sees the limit and is counted. The
    redemptions are queued with the order's rows, written with them at commit.
    """
    session = ctx.session
    if getattr(order, "id", None) is None:
        await session.flush()
    refusals: list[tuple[str, str]] = []
    for entry in sorted(applied, key=lambda e: e["id"]):
        refusal = await _take(ctx, order, entry, None)
        if refusal is not None:
            refusals.append(refusal)
    return refusals


@prepared
def _take_statement() -> Any:
    """One use of promotion ``:pid``, if its total limit allows it."""
    t = Promotion.__table__
    return independent(tenant_filtered(update(t).where(
        tenant_is(t), t.c.id == bindparam("pid"), t.c.uses_limit.is_(None) | (t.c.used_count < t.c.uses_limit))
        .values(used_count=t.c.used_count + 1)))


@prepared
def _limit_statement() -> Any:
    """Promotion ``:pid``'s total limit as committed now, held ``FOR SHARE`` until commit."""
    t = Promotion.__table__
    return independent(tenant_filtered(select(t.c.uses_limit).where(tenant_is(t), t.c.id == bindparam("pid"))
                                       .with_for_update(read=True)))


async def _count_use(session: Any, pid: int, promo: Promotion | None) -> bool:
    """Count one use of promotion ``pid`` where it has a total limit; False when used up (or gone).
    ``promo`` is the row the offer was read from, in this session (no statement)."""
    if promo is None or promo.uses_limit is not None:
        return (await run(session, _take_statement(), pid=pid)).rowcount == 1  # type: ignore[attr-defined]
    now = (await run(session, _limit_statement(), pid=pid)).first()
    if now is None:
        return False
    return now[0] is None or (await run(session, _take_statement(), pid=pid)).rowcount == 1  # type: ignore[attr-defined]


async def _take(ctx: TenantContext, order: Any, entry: dict[str, Any],
                row: Redemption | None) -> tuple[str, str] | None:
    """Take one use of a promotion for ``order`` (a new redemption, or ``row`` revived)."""
    session = ctx.session
    pid = entry["id"]
    customer_id = getattr(order, "customer_id", None)
    language = T.lang(ctx)
    promo = await session.get(Promotion, (ctx.tenant.id, pid))
    if not await _count_use(session, pid, promo):
        return ("coupon_invalid" if entry.get("coupon") else "promotion_limit_exceeded",
                T.text(language, "used_up", code=entry["code"]))
    if promo is None:
        return None
    if customer_id is not None and (promo.uses_per_customer is not None or promo.limit_per_customer is not None):
        n, units = (await customer_uses(ctx, customer_id, [pid], exclude_order=order.id)).get(pid, (0, 0))
        if promo.uses_per_customer is not None and n + 1 > promo.uses_per_customer:
            return ("coupon_invalid" if entry.get("coupon") else "promotion_limit_exceeded",
                    T.text(language, "uses_customer", code=promo.code, n=promo.uses_per_customer))
        if promo.limit_per_customer is not None and units + entry["qty"] > promo.limit_per_customer:
            left = max(promo.limit_per_customer - units, 0)
            return ("promotion_limit_exceeded",
                    T.text(language, "limit_customer", n=promo.limit_per_customer, sku=promo.sku,
                           code=promo.code, left=left))
    if row is None:  # queued with the transaction's other rows (one statement at commit on PostgreSQL)
        add_rows(session, Redemption, [dict(
            promotion_id=pid, order_id=order.id, customer_id=customer_id, code=entry["code"],
            kind=entry["kind"], amount=Decimal(entry["amount"]), qty=entry["qty"],
            coupon=bool(entry.get("coupon")),
        )])
    else:
        row.released, row.amount, row.qty = False, Decimal(entry["amount"]), entry["qty"]
        row.coupon, row.kind, row.customer_id = bool(entry.get("coupon")), entry["kind"], customer_id
    return None


async def resync(ctx: TenantContext, order: Any, applied: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """After a staff edit: make the order's redemptions what its re-priced cart uses.

    A promotion still used keeps its use (its amount and units follow the edit); one the
    edit no longer qualifies for gives its use back; one it newly qualifies for takes a
    use like a placement (and may be refused: used up). Promotion rows in id order.
    """
    session = ctx.session
    rows = {r.promotion_id: r for r in (await session.scalars(
        select(Redemption).where(Redemption.order_id == order.id))).all()}
    wanted = {e["id"]: e for e in applied}
    refusals: list[tuple[str, str]] = []
    for pid in sorted(set(rows) | set(wanted)):
        row, entry = rows.get(pid), wanted.get(pid)
        if entry is None:
            if row is not None and not row.released:
                await _give_back(session, row)
        elif row is not None and not row.released:
            row.amount, row.qty, row.coupon = Decimal(entry["amount"]), entry["qty"], bool(entry.get("coupon"))
        else:
            refusal = await _take(ctx, order, entry, row)
            if refusal is not None:
                refusals.append(refusal)
    await session.flush()
    return refusals


async def release(ctx: TenantContext, order: Any) -> int:
    """A cancelled or rejected order gives its promotion uses back (once)."""
    session = ctx.session
    rows = (await session.scalars(
        select(Redemption).where(Redemption.order_id == order.id, Redemption.released.is_(False))
        .order_by(Redemption.promotion_id)
    )).all()
    for row in rows:
        await _give_back(session, row)
    await session.flush()
    return len(rows)


async def _give_back(session: Any, row: Redemption) -> None:
    """Release one redemption and give its use back to the promotion's counter."""
    row.released = True
    await session.execute(
        update(Promotion).where(Promotion.id == row.promotion_id, Promotion.used_count > 0)
        .values(used_count=Promotion.used_count - 1).execution_options(synchronize_session=False)
    )
