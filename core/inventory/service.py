"""Stock levels and movements. Reservations are conditional UPDATEs (never read-then-write),
so concurrent orders cannot oversell; every movement writes a ledger row.

Low-stock events: every change here that lowers available stock (a reservation, on hand set
lower, a transfer out) notes how much it took on the session (:func:`note_drop`). The caller
that holds the request's context calls :func:`report_low_stock` before it commits: one query
reads the noted stock rows, and ``qudao_stock_low`` fires for the products whose available
stock went from above their ``low_threshold`` to at or below it in this transaction. Notes
are dropped at commit or rollback, so a caller that does not report loses nothing but the event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, bindparam, case, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from qudao.core.customers.models import Customer
from qudao.core.db.prepared import in_list, prepared, run, tenant_filtered, tenant_is
from qudao.core.db.rows import add_rows
from qudao.core.db.session import on_postgresql, sync_of, transaction_note
from qudao.core.errors import Conflict, NotFound
from qudao.core.inventory.models import Stock, StockMove, Warehouse
from qudao.core.plugins.host import gather_hook
from qudao.core.validation import upsert_named
from qudao.tenants.models import Tenant

if TYPE_CHECKING:
    from qudao.core.plugins.context import TenantContext

_DROPS = "inventory_stock_drops"  # session.info key: {(warehouse_id, product_id): qty taken}


def available_expr(count_in_transit: bool, stock: Any = Stock) -> Any:
    """Available stock; ``stock`` is the model or, for a Core statement, its table's columns."""
    expr = stock.on_hand - stock.reserved
    return expr + stock.in_transit if count_in_transit else expr


def counts_in_transit(tenant: Tenant) -> bool:
    return bool(tenant.setting("count_in_transit", default=False))


async def upsert_warehouse(session: AsyncSession, code: str, data: dict[str, Any]) -> tuple[Warehouse, bool]:
    return await upsert_named(session, Warehouse, code, data)


async def warehouse_by_code(session: AsyncSession, code: str) -> Warehouse:
    wh = await session.scalar(select(Warehouse).where(Warehouse.code == code, brand_owned()))
    if wh is None:
        raise NotFound(f"no warehouse with code '{code}'")
    return wh


def brand_owned() -> Any:
    """The brand's own warehouses: a reseller's (``owner_customer_id``) are its own business."""
    return Warehouse.owner_customer_id.is_(None)


async def default_warehouse_id(session: AsyncSession) -> int | None:
    """Customers without an assigned warehouse order from the first one the brand created."""
    return await session.scalar(select(Warehouse.id).where(brand_owned()).order_by(Warehouse.id).limit(1))


async def warehouse_for(session: AsyncSession, customer: Customer | None) -> int | None:
    if customer is not None and customer.warehouse_id is not None:
        return customer.warehouse_id
    return await default_warehouse_id(session)


async def set_on_hand(session: AsyncSession, warehouse: Warehouse, product_id: int, on_hand: int, *,
                      user_id: int | None, kind: str = "adjustment", note: str = "") -> tuple[Stock, bool]:
    row = await session.scalar(select(Stock).where(Stock.warehouse_id == warehouse.id,
                                                   Stock.product_id == product_id))
    created = row is None
    if row is None:
        row = Stock(warehouse_id=warehouse.id, product_id=product_id, on_hand=0, reserved=0, in_transit=0)
        session.add(row)
        await session.flush()
    delta = on_hand - row.on_hand
    if delta:
        await session.execute(update(Stock).where(Stock.id == row.id).values(on_hand=Stock.on_hand + delta))
        session.add(StockMove(warehouse_id=warehouse.id, product_id=product_id, kind=kind, on_hand_delta=delta,
                              user_id=user_id, note=note))
        if user_id is not None:  # a person set it (not a receipt or a system move)
            await _audit_stock(session, warehouse, product_id, on_hand - delta, on_hand, user_id, kind)
        if delta < 0:
            note_drop(session, warehouse.id, {product_id: -delta})
    await session.flush()
    await session.refresh(row)
    return row, created


async def _audit_stock(session: AsyncSession, warehouse: Warehouse, product_id: int, before: int, after: int,
                       user_id: int, kind: str) -> None:
    from qudao.core.audit import record
    from qudao.core.catalog.models import Product

    product = await session.get(Product, (warehouse.tenant_id, product_id))  # usually loaded already
    sku = product.sku if product is not None else str(product_id)
    record(session, "stock.on_hand", f"{warehouse.code}/{sku}", {"on_hand": before, "kind": kind},
           {"on_hand": after, "kind": kind}, user_id=user_id)


async def availability(session: AsyncSession, warehouse_id: int | None, product_ids: Iterable[int],
                       count_in_transit: bool) -> dict[int, int]:
    ids = list(product_ids)
    if warehouse_id is None or not ids:
        return {}
    rows = await session.execute(_availability_statement(count_in_transit, on_postgresql(session)),
                                 {"wh": warehouse_id, "ids": ids})
    return {pid: max(0, int(avail)) for pid, avail in rows.all()}


@prepared
def _availability_statement(count_in_transit: bool, postgresql: bool) -> Any:
    """Available stock of products ``:ids`` in warehouse ``:wh``."""
    return (select(Stock.product_id, available_expr(count_in_transit))
            .where(Stock.warehouse_id == bindparam("wh"), in_list(Stock.product_id, "ids", postgresql)))


async def total_availability(session: AsyncSession, product_ids: Iterable[int],
                             count_in_transit: bool) -> dict[int, int]:
    ids = list(product_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(Stock.product_id, func.sum(available_expr(count_in_transit)))
        .where(Stock.product_id.in_(ids),
               Stock.warehouse_id.not_in(select(Warehouse.id).where(Warehouse.owner_customer_id.is_not(None))))
        .group_by(Stock.product_id))
    return {pid: max(0, int(avail or 0)) for pid, avail in rows.all()}


async def reserve(session: AsyncSession, warehouse_id: int, product_id: int, qty: int, *,
                  count_in_transit: bool, order_number: str | None = None) -> StockMove | None:
    """Atomically reserve ``qty`` if available; None when it is not (nothing changed).

    Returns the (pending) ledger row so the caller can stamp the order number later."""
    result = await session.execute(
        update(Stock)
        .where(Stock.warehouse_id == warehouse_id, Stock.product_id == product_id,
               available_expr(count_in_transit) >= qty)
        .values(reserved=Stock.reserved + qty)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    move = StockMove(warehouse_id=warehouse_id, product_id=product_id, kind="reservation",
                     reserved_delta=qty, order_number=order_number)
    session.add(move)
    note_drop(session, warehouse_id, {product_id: qty})
    return move


@prepared
def _reserve_statement(lines: int, count_in_transit: bool, postgresql: bool) -> Any:
    """The reservation of ``lines`` products: ``:wh``, ``:p0…``/``:q0…`` (product, qty)."""
    t = Stock.__table__
    pids = [bindparam(f"p{i}", type_=t.c.product_id.type) for i in range(lines)]
    where = (tenant_is(t), t.c.warehouse_id == bindparam("wh"), t.c.product_id.in_(pids))
    qty = case(*[(pid, bindparam(f"q{i}", type_=Integer)) for i, pid in enumerate(pids)],
               value=t.c.product_id)  # CASE product_id WHEN :p0 THEN :q0 … END
    stmt = update(t).where(*where, available_expr(count_in_transit, t.c) >= qty)
    if postgresql:
        locked = (select(t.c.id).where(*where).order_by(t.c.id).with_for_update()
                  .cte("locked").prefix_with("MATERIALIZED"))
        stmt = stmt.where(t.c.id.in_(select(locked.c.id)))
    return tenant_filtered(stmt.values(reserved=t.c.reserved + qty).returning(t.c.product_id))


async def reserve_many(session: AsyncSession, warehouse_id: int, need: dict[int, int], *,
                       count_in_transit: bool, order_number: str | None = None) -> list[int] | None:
    """Reserve every line at once in one statement, or nothing.

    On PostgreSQL the UPDATE first locks the rows in id order in a ``MATERIALIZED`` CTE
    (no deadlocks between multi-line orders: every order takes its rows' locks in the same
    order) and then reserves all lines with one conditional UPDATE over the locked rows;
    SQLite serializes writers, so it needs no lock. Returns the product ids that lacked
    stock, or None on success.
    """
    if not need:
        return None
    values = {"wh": warehouse_id}
    for i, (pid, qty) in enumerate(need.items()):
        values[f"p{i}"], values[f"q{i}"] = pid, qty
    result = await run(session, _reserve_statement(len(need), count_in_transit, on_postgresql(session)), **values)
    done = {row[0] for row in result.all()}
    short = [pid for pid in need if pid not in done]
    if short:
        return short
    # ledger rows written with the order's own rows (one statement on PostgreSQL, core/db/rows.py)
    add_rows(session, StockMove, [dict(warehouse_id=warehouse_id, product_id=pid, kind="reservation",
                                       reserved_delta=qty, order_number=order_number)
                                  for pid, qty in sorted(need.items())])
    note_drop(session, warehouse_id, need)
    return None


async def release(session: AsyncSession, warehouse_id: int, product_id: int, qty: int, *,
                  order_number: str, user_id: int | None) -> None:
    await session.execute(
        update(Stock).where(Stock.warehouse_id == warehouse_id, Stock.product_id == product_id)
        .values(reserved=Stock.reserved - qty).execution_options(synchronize_session=False))
    session.add(StockMove(warehouse_id=warehouse_id, product_id=product_id, kind="release",
                          reserved_delta=-qty, order_number=order_number, user_id=user_id))


async def ship(session: AsyncSession, warehouse_id: int, product_id: int, qty: int, *,
               order_number: str, user_id: int | None) -> None:
    """Take shipped goods off hand and out of reserved in one conditional UPDATE."""
    result = await session.execute(
        update(Stock)
        .where(Stock.warehouse_id == warehouse_id, Stock.product_id == product_id,
               Stock.on_hand >= qty, Stock.reserved >= qty)
        .values(on_hand=Stock.on_hand - qty, reserved=Stock.reserved - qty)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict("not enough stock on hand to ship this order; receive or adjust stock first")
    session.add(StockMove(warehouse_id=warehouse_id, product_id=product_id, kind="shipment",
                          on_hand_delta=-qty, reserved_delta=-qty, order_number=order_number, user_id=user_id))


async def stock_rows(session: AsyncSession, product_id: int, count_in_transit: bool) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Warehouse.code, Stock.on_hand, Stock.reserved, Stock.in_transit)
        .join(Warehouse, (Warehouse.id == Stock.warehouse_id) & (Warehouse.tenant_id == Stock.tenant_id))
        .where(Stock.product_id == product_id, brand_owned()).order_by(Warehouse.code))
    out = []
    for code, on_hand, reserved, in_transit in rows.all():
        available = on_hand - reserved + (in_transit if count_in_transit else 0)
        out.append({"warehouse": code, "on_hand": on_hand, "reserved": reserved, "in_transit": in_transit,
                    "available": available})
    return out


# --- low-stock events ---------------------------------------------------------------------


def note_drop(session: AsyncSession | Session, warehouse_id: int, taken: Mapping[int, int]) -> None:
    """Record that this transaction lowered available stock by ``taken[product_id]`` in a warehouse."""
    drops: dict[tuple[int, int], int] = transaction_note(session, _DROPS, dict)
    for product_id, qty in taken.items():
        if qty > 0:
            key = (warehouse_id, product_id)
            drops[key] = drops.get(key, 0) + int(qty)


async def low_crossings(session: AsyncSession, drops: Mapping[tuple[int, int], int],
                        count_in_transit: bool) -> dict[int, list[int]]:
    """``{warehouse_id: [product_id, …]}`` whose available stock is now at or below the threshold
    and was above it before the noted drops (one query for all noted rows)."""
    if not drops:
        return {}
    rows = await session.execute(
        select(Stock.warehouse_id, Stock.product_id, available_expr(count_in_transit), Stock.low_threshold)
        .where(Stock.low_threshold.is_not(None), tuple_(Stock.warehouse_id, Stock.product_id).in_(list(drops))))
    crossed: dict[int, list[int]] = {}
    for warehouse_id, product_id, available, threshold in rows.all():
        before = int(available) + drops[(warehouse_id, product_id)]
        if int(available) <= threshold < before:
            crossed.setdefault(warehouse_id, []).append(product_id)
    return {wh: sorted(ids) for wh, ids in sorted(crossed.items())}


async def report_low_stock(ctx: TenantContext) -> dict[int, list[int]]:
    """Fire ``qudao_stock_low`` (inside the caller's transaction) for every threshold this
    transaction's stock changes crossed; returns what crossed. Call it before committing."""
    drops = sync_of(ctx.session).info.pop(_DROPS, None)
    caller = ctx.hooks.qudao_stock_low
    if not drops or not caller.get_hookimpls():  # nobody listens: no query
        return {}
    crossed = await low_crossings(ctx.session, drops, counts_in_transit(ctx.tenant))
    for warehouse_id, product_ids in crossed.items():
        await gather_hook(caller, ctx=ctx, warehouse_id=warehouse_id, product_ids=product_ids)
    return crossed
