"""Stock adjustments from the back office: set on hand with a reason, low-stock
thresholds, and stocktakes (count sheet → variance posted to the ledger).

Changes that lower available stock note it on the session (``service.note_drop``); the page
calls ``service.report_low_stock(ctx)`` before committing so ``qudao_stock_low`` fires.

Everything validates first and raises ``InputError`` naming the field (or the
row, ``count[SKU]``) before anything is written, so a stocktake posts all its
variances or none.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.catalog.models import Product
from qudao.core.catalog.service import product_by_sku
from qudao.core.errors import InputError
from qudao.core.inventory.models import Stock, StockMove, Warehouse
from qudao.core.inventory.service import available_expr, note_drop, set_on_hand, warehouse_by_code
from qudao.core.validation import Fields

MAX_QTY = 1_000_000_000


async def adjust_on_hand(session: AsyncSession, sku: str, data: dict[str, Any], *,
                         user_id: int | None) -> tuple[Stock, int]:
    """``data``: warehouse, on_hand, note (the reason, required). Returns the row and the delta."""
    f = Fields(data)
    code = f.text("warehouse", required=True, max_len=64)
    on_hand = f.integer("on_hand", required=True, minimum=0, maximum=MAX_QTY)
    note = f.text("note", required=True, max_len=500)
    if data.get("on_hand") == "":
        f.errors = [e for e in f.errors if e["field"] != "on_hand"]
        f.error("on_hand", "is required")
    f.check()
    assert code is not None and on_hand is not None
    wh = await _warehouse(session, code)
    product = await product_by_sku(session, sku)
    before = await session.scalar(select(Stock.on_hand).where(Stock.warehouse_id == wh.id,
                                                              Stock.product_id == product.id)) or 0
    if on_hand < (await _reserved(session, wh.id, product.id)):
        raise InputError("is below what is reserved for open orders", field="on_hand")
    row, _ = await set_on_hand(session, wh, product.id, on_hand, user_id=user_id, kind="adjustment",
                               note=note or "")
    return row, on_hand - before


async def _reserved(session: AsyncSession, warehouse_id: int, product_id: int) -> int:
    return await session.scalar(select(Stock.reserved).where(Stock.warehouse_id == warehouse_id,
                                                             Stock.product_id == product_id)) or 0


async def _warehouse(session: AsyncSession, code: str) -> Warehouse:
    wh = await session.scalar(select(Warehouse).where(Warehouse.code == code))
    if wh is None:
        raise InputError(f"unknown warehouse '{code}'", field="warehouse")
    return wh


async def set_low_threshold(session: AsyncSession, sku: str, data: dict[str, Any]) -> Stock:
    f = Fields(data)
    code = f.text("warehouse", required=True, max_len=64)
    raw = data.get("low_threshold")
    threshold = None
    if raw not in (None, ""):
        threshold = f.integer("low_threshold", minimum=0, maximum=MAX_QTY)
    f.check()
    assert code is not None
    wh = await _warehouse(session, code)
    product = await product_by_sku(session, sku)
    row = await session.scalar(select(Stock).where(Stock.warehouse_id == wh.id, Stock.product_id == product.id))
    if row is None:
        row = Stock(warehouse_id=wh.id, product_id=product.id, on_hand=0, reserved=0, in_transit=0)
        session.add(row)
    row.low_threshold = threshold
    await session.flush()
    return row


async def low_stock(session: AsyncSession, count_in_transit: bool, limit: int = 500) -> list[Any]:
    avail = available_expr(count_in_transit)
    stmt = (select(Product.sku, Product.name, Warehouse.code, Stock.on_hand, Stock.reserved, Stock.in_transit,
                   avail.label("available"), Stock.low_threshold)
            .join(Product, (Product.id == Stock.product_id) & (Product.tenant_id == Stock.tenant_id))
            .join(Warehouse, (Warehouse.id == Stock.warehouse_id) & (Warehouse.tenant_id == Stock.tenant_id))
            .where(Stock.low_threshold.is_not(None), avail <= Stock.low_threshold)
            .order_by(Product.sku, Warehouse.code).limit(limit))
    return list((await session.execute(stmt)).all())


async def count_sheet(session: AsyncSession, warehouse_code: str) -> tuple[Warehouse, list[Any]]:
    """Every active product with its on-hand quantity in the warehouse (0 when no stock row)."""
    wh = await warehouse_by_code(session, warehouse_code)
    stmt = (select(Product.sku, Product.name, Product.unit, Stock.on_hand)
            .outerjoin(Stock, (Stock.product_id == Product.id) & (Stock.tenant_id == Product.tenant_id)
                       & (Stock.warehouse_id == wh.id))
            .where(Product.active.is_(True)).order_by(Product.sku).limit(5000))
    return wh, list((await session.execute(stmt)).all())


async def post_stocktake(session: AsyncSession, warehouse_code: str, counts: dict[str, str], *,
                         user_id: int | None, note: str = "") -> list[tuple[str, int]]:
    """Post the variance of every counted SKU ('' = not counted). All rows or none."""
    wh = await warehouse_by_code(session, warehouse_code)
    errors: list[dict[str, str]] = []
    parsed: dict[str, int] = {}
    for sku, raw in counts.items():
        text = str(raw).strip()
        if not text:
            continue
        if not text.isdigit():
            errors.append({"field": f"count[{sku}]", "message": "must be a whole number, 0 or more"})
        elif int(text) > MAX_QTY:
            errors.append({"field": f"count[{sku}]", "message": f"must be at most {MAX_QTY}"})
        else:
            parsed[sku] = int(text)
    products = {p.sku: p for p in (await session.scalars(select(Product).where(Product.sku.in_(parsed)))).all()}
    rows = {r.product_id: r for r in (await session.scalars(
        select(Stock).where(Stock.warehouse_id == wh.id,
                            Stock.product_id.in_([p.id for p in products.values()])))).all()}
    for sku, qty in parsed.items():
        product = products.get(sku)
        if product is None:
            errors.append({"field": f"count[{sku}]", "message": f"unknown SKU '{sku}'"})
        elif product.id in rows and qty < rows[product.id].reserved:
            errors.append({"field": f"count[{sku}]",
                           "message": f"is below the {rows[product.id].reserved} reserved for open orders"})
    if errors:
        raise InputError(errors)
    variances = []
    for sku, qty in sorted(parsed.items()):
        product = products[sku]
        before = rows[product.id].on_hand if product.id in rows else 0
        if qty != before:
            await set_on_hand(session, wh, product.id, qty, user_id=user_id, kind="stocktake",
                              note=note or "stocktake")
            variances.append((sku, qty - before))
    return variances


async def ledger(session: AsyncSession, product_id: int, limit: int = 200) -> list[Any]:
    stmt = (select(StockMove, Warehouse.code)
            .join(Warehouse, (Warehouse.id == StockMove.warehouse_id) & (Warehouse.tenant_id == StockMove.tenant_id))
            .where(StockMove.product_id == product_id)
            .order_by(StockMove.at.desc(), StockMove.id.desc()).limit(limit))
    return list((await session.execute(stmt)).all())


MOVE_KINDS = ("receipt", "incoming", "arrival", "transfer")


async def _row(session: AsyncSession, warehouse_id: int, product_id: int) -> Stock:
    row = await session.scalar(select(Stock).where(Stock.warehouse_id == warehouse_id,
                                                   Stock.product_id == product_id))
    if row is None:
        row = Stock(warehouse_id=warehouse_id, product_id=product_id, on_hand=0, reserved=0, in_transit=0)
        session.add(row)
        await session.flush()
    return row


async def move_stock(session: AsyncSession, sku: str, data: dict[str, Any], *, user_id: int | None) -> str:
    """Goods movements from the back office, each a conditional UPDATE plus ledger rows:

    * ``receipt``: goods received into ``warehouse`` (on hand +qty);
    * ``incoming``: goods on their way to ``warehouse`` (in transit +qty);
    * ``arrival``: goods in transit arrived (in transit −qty, on hand +qty);
    * ``transfer``: from ``warehouse`` to ``to_warehouse`` (on hand −qty there, never below
      what is reserved; in transit +qty at the destination until its arrival).
    """
    f = Fields(data)
    kind = f.text("kind", required=True, max_len=20)
    code = f.text("warehouse", required=True, max_len=64)
    raw_qty = data.get("qty")
    qty = f.integer("qty", required=True, minimum=1, maximum=MAX_QTY) if raw_qty != "" else None
    if raw_qty == "":
        f.error("qty", "is required")
    note = f.text("note", max_len=500) or ""
    to_code = f.text("to_warehouse", max_len=64)
    if kind is not None and kind not in MOVE_KINDS:
        f.error("kind", f"must be one of {', '.join(MOVE_KINDS)}")
    if kind == "transfer":
        if not to_code:
            f.error("to_warehouse", "is required for a transfer")
        elif to_code == code:
            f.error("to_warehouse", "must differ from the source warehouse")
    f.check()
    assert code is not None and qty is not None
    wh = await _warehouse(session, code)
    product = await product_by_sku(session, sku)
    row = await _row(session, wh.id, product.id)
    moves: list[StockMove] = []
    if kind == "receipt":
        await session.execute(update(Stock).where(Stock.id == row.id).values(on_hand=Stock.on_hand + qty))
        moves.append(StockMove(warehouse_id=wh.id, product_id=product.id, kind="receipt", on_hand_delta=qty))
    elif kind == "incoming":
        await session.execute(update(Stock).where(Stock.id == row.id).values(in_transit=Stock.in_transit + qty))
        moves.append(StockMove(warehouse_id=wh.id, product_id=product.id, kind="in_transit", in_transit_delta=qty))
    elif kind == "arrival":
        result = await session.execute(
            update(Stock).where(Stock.id == row.id, Stock.in_transit >= qty)
            .values(in_transit=Stock.in_transit - qty, on_hand=Stock.on_hand + qty)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise InputError(f"only {row.in_transit} in transit to {code}", field="qty")
        moves.append(StockMove(warehouse_id=wh.id, product_id=product.id, kind="arrival", on_hand_delta=qty,
                               in_transit_delta=-qty))
    else:
        assert to_code is not None
        dest = await _warehouse(session, to_code)
        result = await session.execute(
            update(Stock).where(Stock.id == row.id, Stock.on_hand - Stock.reserved >= qty)
            .values(on_hand=Stock.on_hand - qty).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise InputError(f"only {row.on_hand - row.reserved} free on hand in {code}", field="qty")
        dest_row = await _row(session, dest.id, product.id)
        await session.execute(update(Stock).where(Stock.id == dest_row.id)
                              .values(in_transit=Stock.in_transit + qty))
        note_drop(session, wh.id, {product.id: qty})
        moves.append(StockMove(warehouse_id=wh.id, product_id=product.id, kind="transfer", on_hand_delta=-qty,
                               note=f"to {to_code}"))
        moves.append(StockMove(warehouse_id=dest.id, product_id=product.id, kind="transfer", in_transit_delta=qty,
                               note=f"from {code}"))
    for move in moves:
        move.user_id = user_id
        move.note = " · ".join(x for x in (move.note, note) if x)[:500]
        session.add(move)
    await session.flush()
    return kind or ""
