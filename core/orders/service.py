"""Placing orders and moving them through their lifecycle, in one transaction each."""

from __future__ import annotations

import functools
import threading
from datetime import date
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from qudao.core.channels.sellers import cart_seller_id
from qudao.core.channels.stock import receive_brand_order
from qudao.core.customers.models import Customer
from qudao.core.customers.scope import order_customer_criteria
from qudao.core.db.base import utcnow
from qudao.core.db.rows import add_rows
from qudao.core.db.session import apply_db_tenant, side_engine
from qudao.core.errors import Conflict, Forbidden, InputError, NotFound, Refused
from qudao.core.inventory import service as stock
from qudao.core.money import fmt
from qudao.core.orders.cart import Cart
from qudao.core.orders.checkout import build_cart, check_stock, needed_stock
from qudao.core.orders.flow import BUYER_TRANSITIONS, RELEASES_STOCK, STAFF_ROLES_FOR, STATUSES, allowed
from qudao.core.orders.models import Order, OrderAdjustment, OrderCounter, OrderEvent, OrderLine
from qudao.core.plugins.context import TenantContext
from qudao.core.plugins.host import gather_hook

NUMBER_BLOCK = 20  # order numbers a web process takes from the counter at a time (PostgreSQL)
_blocks: dict[tuple[int, str], list[int]] = {}  # (tenant, day) -> [next, last] of this process's block
_blocks_lock = threading.Lock()


async def next_order_number(session: AsyncSession, tenant_id: int, tz: str) -> str:
    """SO{day}-{seq}: a per-tenant daily counter.

    On PostgreSQL each web process takes a block of ``NUMBER_BLOCK`` numbers from the counter
    in a short transaction of its own (so concurrent orders do not queue behind the counter row
    until they commit) and hands them out from memory: one counter statement per
    ``NUMBER_BLOCK`` orders instead of a transaction per order. Numbers stay unique per tenant
    and day; like any database sequence with a cache they may have gaps (a refused order, a
    process's unused numbers when it stops) and, with several processes, are not in placement
    order across processes (``created_at`` is). On SQLite, where writers are serialized
    anyway, the counter is bumped by one in the order's own transaction.
    """
    day = utcnow().astimezone(ZoneInfo(tz)).strftime("%Y%m%d")
    engine = session.bind
    dialect = engine.dialect.name if engine is not None else "sqlite"
    if dialect == "postgresql" and isinstance(engine, AsyncEngine):
        seq = _take_number(tenant_id, day)
        if seq is None:
            stmt = _counter_upsert(pg_insert, tenant_id, day, NUMBER_BLOCK)
            async with side_engine(engine).connect() as conn:
                async with conn.begin():
                    await conn.run_sync(lambda sync_conn: apply_db_tenant(sync_conn, tenant_id))
                    last = (await conn.execute(stmt)).scalar_one()
            with _blocks_lock:
                for key in [k for k in _blocks if k[1] != day]:
                    del _blocks[key]
                _blocks[(tenant_id, day)] = [last - NUMBER_BLOCK + 2, last]
            seq = last - NUMBER_BLOCK + 1
    else:
        seq = (await session.execute(_counter_upsert(sqlite_insert, tenant_id, day, 1))).scalar_one()
    return f"SO{day}-{seq:04d}"


def _take_number(tenant_id: int, day: str) -> int | None:
    with _blocks_lock:
        block = _blocks.get((tenant_id, day))
        if block is None or block[0] > block[1]:
            return None
        block[0] += 1
        return block[0] - 1


def _counter_upsert(insert: Any, tenant_id: int, day: str, step: int) -> Any:
    table = OrderCounter.__table__
    return (insert(table).values(tenant_id=tenant_id, id=_counter_id(day), day=day, last=step)
            .on_conflict_do_update(index_elements=["tenant_id", "id"], set_={"last": table.c.last + step})
            .returning(table.c.last))


def _counter_id(day: str) -> int:
    return int(day)


def _parse_delivery(body: dict[str, Any]) -> tuple[date | None, str | None, str | None]:
    errors = []
    delivery: date | None = None
    raw = body.get("delivery_date")
    if raw not in (None, ""):
        try:
            delivery = date.fromisoformat(str(raw))
        except ValueError:
            errors.append({"field": "delivery_date", "message": "must be a date as YYYY-MM-DD"})
    note = body.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 1000):
        errors.append({"field": "note", "message": "must be text of at most 1000 characters"})
    address = body.get("delivery_address")
    if address is not None and (not isinstance(address, str) or len(address) > 500):
        errors.append({"field": "delivery_address", "message": "must be text of at most 500 characters"})
    if delivery is not None and delivery < utcnow().date().replace(day=1).replace(year=2000):
        errors.append({"field": "delivery_date", "message": "is too far in the past"})
    if errors:
        raise InputError(errors)
    return delivery, (note or None), (address or None)


def idempotency_scope(ctx: TenantContext) -> str:
    if ctx.user is not None:
        return f"user:{ctx.user.id}"
    phone = (ctx.guest or {}).get("phone", "")
    return f"guest:{phone}"


async def find_idempotent(ctx: TenantContext, key: str | None, scope: str | None = None) -> Order | None:
    if not key:
        return None
    return await ctx.session.scalar(select(Order).where(Order.idempotency_scope == (scope or idempotency_scope(ctx)),
                                                        Order.idempotency_key == key))


async def place_order(ctx: TenantContext, body: dict[str, Any], idempotency_key: str | None) -> tuple[Order, bool]:
    """Quote, refuse on violations, reserve stock, write the order, run plugin effects; commit.

    Returns (order, created). The same Idempotency-Key again returns the first order. That is
    checked only when this attempt cannot go through (a refusal, or the key's unique index
    refusing the second order row), not before every order: a replay may be refused for what
    the first order changed (its credit, its stock), so a refusal looks for the key first.
    """
    if idempotency_key is not None and (len(idempotency_key) > 200 or not idempotency_key.strip()):
        raise InputError("must be 1-200 characters", field="Idempotency-Key")
    scope = idempotency_scope(ctx)  # read now: a rollback below expires ctx.user
    delivery, note, address = _parse_delivery(body)
    session = ctx.session

    async def refuse(violations: list[dict[str, str]]) -> tuple[Order, bool]:
        if session.in_transaction():
            await session.rollback()
        existing = await find_idempotent(ctx, idempotency_key, scope)
        if existing is not None:
            return existing, False
        raise Refused(violations)

    cart = await build_cart(ctx, body, placing=True)
    if cart.violations or cart.warehouse_id is None:
        await check_stock(ctx, cart)  # a refusal lists every problem, stock included
        return await refuse([v.as_dict() for v in cart.violations]
                            or [{"code": "insufficient_stock", "message": "No warehouse to ship from."}])
    count_in_transit = stock.counts_in_transit(ctx.tenant)
    need = needed_stock(cart)
    skus = {line.product.id: line.sku for line in cart.lines}
    number = await next_order_number(session, ctx.tenant.id, ctx.tenant.timezone)
    short = await stock.reserve_many(session, cart.warehouse_id, need, count_in_transit=count_in_transit,
                                     order_number=number)
    if short:
        await check_stock(ctx, cart)  # how much is left, for the message
        found = [v.as_dict() for v in cart.violations if v.code == "insufficient_stock"]
        return await refuse(found or [{"code": "insufficient_stock", "message":
                                       f"'{skus[pid]}' sold out while you were ordering; please check quantities."}
                                      for pid in short])
    await stock.report_low_stock(ctx)  # qudao_stock_low for thresholds this reservation crossed
    order = written(session, Order, dict(
        number=number, customer_id=ctx.customer.id if ctx.customer else None, guest=ctx.guest,
        status="submitted", currency=cart.currency, subtotal=cart.subtotal, discount=cart.discount,
        total=cart.total, warehouse_id=cart.warehouse_id, idempotency_scope=scope,
        idempotency_key=idempotency_key, delivery_date=delivery, delivery_address=address, note=note,
        placed_by=ctx.user.id if ctx.user else None,
        extra={"coupon": cart.coupon} if cart.coupon else {}, seller_customer_id=cart_seller_id(cart),
    ), persistent=True)
    lines = [written(session, OrderLine, row) for row in line_rows(order, cart)]
    adjustments = [written(session, OrderAdjustment, dict(order_id=order.id, source=a.source, label=a.label,
                                                          amount=a.amount)) for a in cart.adjustments]
    event = written(session, OrderEvent, dict(order_id=order.id, status="submitted", note=note or "",
                                              user_id=ctx.user.id if ctx.user else None))
    try:
        # stock moves, the order, its lines, adjustments and event stay queued (core/db/rows.py):
        # the plugins' own rows (credit hold, redemptions) join them, and all are written as one
        # statement on PostgreSQL at commit, or before a plugin's first statement that is not
        # independent of them; a replayed key stops there (the key's unique index) and the whole
        # transaction, plugins' changes included, rolls back
        refusals = []
        for found in await gather_hook(ctx.hooks.qudao_order_placed, ctx=ctx, order=order, cart=cart):
            refusals.extend(found or [])
        if refusals:
            return await refuse([v.as_dict() for v in refusals])
        await session.commit()
    except IntegrityError:
        await session.rollback()
        again = await find_idempotent(ctx, idempotency_key, scope)
        if again is not None:
            return again, False
        raise
    order.written = (lines, adjustments, [event])  # type: ignore[attr-defined] - order_view needs no reload
    return order, True


def written(session: AsyncSession, model: Any, row: dict[str, Any], *, persistent: bool = False) -> Any:
    """Queue ``row`` (core/db/rows.py) and return it for the answer: with ``persistent`` as a
    ``model`` instance that joins the session as the stored row (plugins may change it), else
    as a plain read-only record of its columns (an ORM instance per line cost more than its SQL)."""
    [done] = add_rows(session, model, [row])
    values = {key: done.get(key) for key in _column_keys(model)}  # all loaded: none expire
    if not persistent:
        return SimpleNamespace(**values)
    obj = model(**values)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


@functools.cache
def _column_keys(model: Any) -> tuple[str, ...]:
    return tuple(c.key for c in model.__table__.columns)


def line_rows(order: Order, cart: Cart) -> list[dict[str, Any]]:
    return [dict(order_id=order.id, line_no=no, product_id=line.product.id, sku=line.sku, name=line.product.name,
                 qty=line.qty, unit_price=line.unit_price, line_total=line.line_total, gift=line.gift,
                 price_source=(line.gift_source if line.gift else line.source) or "base", locked_by=line.locked_by)
            for no, line in enumerate(cart.lines, start=1)]


def write_lines(session: AsyncSession, order: Order, cart: Cart) -> None:
    """Add the order's lines and adjustments to the session (an edited order's new set)."""
    session.add_all([OrderLine(**row) for row in line_rows(order, cart)])
    session.add_all([OrderAdjustment(order_id=order.id, source=adj.source, label=adj.label, amount=adj.amount)
                     for adj in cart.adjustments])


async def order_for(ctx: TenantContext, number: str) -> Order:
    """Staff see every order of the tenant; a buyer only its customer's (404 otherwise)."""
    stmt = select(Order).where(Order.number == number, *order_customer_criteria(ctx, Order.customer_id))
    if ctx.user is None or ctx.user.kind != "staff":
        if ctx.customer is None:
            raise NotFound(f"no order '{number}'")
        stmt = stmt.where(Order.customer_id == ctx.customer.id)
    order = await ctx.session.scalar(stmt)
    if order is None:
        raise NotFound(f"no order '{number}'")
    return order


async def change_status(ctx: TenantContext, order: Order, new: str, note: str = "", *,
                        lock: bool = True, as_seller: Customer | None = None) -> Order:
    """``as_seller``: the reseller that sold the order acts as its staff (core/channels); the
    brand's staff do not move a reseller's orders."""
    if new not in STATUSES:
        raise InputError(f"must be one of {', '.join(STATUSES)}", field="status")
    user = ctx.user
    is_staff = user is not None and user.kind == "staff"
    if as_seller is not None:
        if order.seller_customer_id != as_seller.id:
            raise NotFound(f"no order '{order.number}'")
        is_staff = True
    elif is_staff and order.seller_customer_id is not None:
        raise Forbidden("this order is sold by a distributor; its back office moves it")
    if not is_staff and (order.status, new) not in BUYER_TRANSITIONS:
        if allowed(order.status, new):
            raise Forbidden("only the brand's staff can make this change")
        raise Conflict(f"an order that is {order.status} cannot become {new}")
    if is_staff and as_seller is None:
        roles = STAFF_ROLES_FOR.get(new, ())
        if user.role not in ("owner", "admin", *roles):  # type: ignore[union-attr]
            raise Forbidden(f"needs one of the roles: {', '.join(roles)}")
    old = order.status
    if not allowed(old, new):
        raise Conflict(f"an order that is {old} cannot become {new}")
    # Move the status with a conditional UPDATE so two clerks cannot both act on one order.
    result = await ctx.session.execute(
        update(Order).where(Order.id == order.id, Order.status == old).values(status=new)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        await ctx.session.rollback()
        raise Conflict("the order changed meanwhile; reload it")
    order.status = new
    lines = (await ctx.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))).all()
    user_id = user.id if user else None
    if new in RELEASES_STOCK and order.warehouse_id is not None:
        for pid, qty in sorted(_qty_by_product(lines).items()):
            await stock.release(ctx.session, order.warehouse_id, pid, qty, order_number=order.number,
                                user_id=user_id)
    if new == "shipped" and order.warehouse_id is not None:
        for pid, qty in sorted(_qty_by_product(lines).items()):
            await stock.ship(ctx.session, order.warehouse_id, pid, qty, order_number=order.number, user_id=user_id)
    if new == "received":
        await receive_brand_order(ctx.session, order, lines, user_id=user_id)  # into a reseller's stock
    ctx.session.add(OrderEvent(order_id=order.id, status=new, note=note, user_id=user_id))
    await gather_hook(ctx.hooks.qudao_order_status_changed, ctx=ctx, order=order, old=old, new=new, note=note)
    await ctx.session.commit()
    return order


def _qty_by_product(lines: Any) -> dict[int, int]:
    out: dict[int, int] = {}
    for line in lines:
        out[line.product_id] = out.get(line.product_id, 0) + line.qty
    return out


async def order_view(session: AsyncSession, order: Order) -> dict[str, Any]:
    written = getattr(order, "written", None)  # just placed: the rows are in memory, as written
    if written is not None:
        lines, adjustments, events = written
    else:
        lines = (await session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)
                                       .order_by(OrderLine.line_no))).all()
        adjustments = (await session.scalars(select(OrderAdjustment).where(OrderAdjustment.order_id == order.id)
                                             .order_by(OrderAdjustment.id))).all()
        events = (await session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)
                                        .order_by(OrderEvent.at, OrderEvent.id))).all()
    customer = (await session.get(Customer, (order.tenant_id, order.customer_id))
                if order.customer_id is not None else None)
    return {
        "number": order.number,
        "status": order.status,
        "customer": customer.code if customer else None,
        "guest": order.guest,
        "currency": order.currency,
        "lines": [{"sku": ln.sku, "name": ln.name, "qty": ln.qty, "unit_price": fmt(ln.unit_price, order.currency),
                   "line_total": fmt(ln.line_total, order.currency), "gift": ln.gift, "price_source": ln.price_source,
                   "locked_by": ln.locked_by}
                  for ln in lines],
        "adjustments": [{"source": a.source, "label": a.label, "amount": fmt(a.amount, order.currency)}
                        for a in adjustments],
        "subtotal": fmt(order.subtotal, order.currency),
        "discount": fmt(order.discount, order.currency),
        "total": fmt(order.total, order.currency),
        "paid_amount": fmt(order.paid_amount, order.currency),
        "delivery_date": order.delivery_date.isoformat() if order.delivery_date else None,
        "delivery_address": order.delivery_address,
        "note": order.note,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "created_at": order.created_at.isoformat(),
        "events": [{"status": e.status, "at": e.at.isoformat(), "note": e.note} for e in events],
    }
