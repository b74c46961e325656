"""Stock flowing between levels: a brand order received by a reseller enters its own warehouse.

Written in the status change's transaction (``core/orders/service.change_status`` calls
:func:`receive_brand_order`), with one ledger row per product naming the brand order. The
reseller's shipments to its stores then take stock off that warehouse through the ordinary
reservation/shipment path, since a reseller-sold order's ``warehouse_id`` is the reseller's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.channels.sellers import reseller_warehouse
from qudao.core.customers.models import Customer
from qudao.core.inventory.models import Stock, StockMove
from qudao.core.orders.models import Order


async def receive_brand_order(session: AsyncSession, order: Order, lines: Any, *, user_id: int | None) -> bool:
    """On ``received``: a brand-sold order to a ``can_resell`` customer adds its lines to that
    customer's stock. Returns whether it did (other orders change nothing)."""
    if order.seller_customer_id is not None or order.customer_id is None:
        return False
    buyer = await session.get(Customer, (order.tenant_id, order.customer_id))
    if buyer is None or not buyer.can_resell:
        return False
    wh = await reseller_warehouse(session, buyer, create=True)
    assert wh is not None
    qty: dict[int, int] = {}
    for line in lines:
        qty[line.product_id] = qty.get(line.product_id, 0) + line.qty
    for pid, n in sorted(qty.items()):
        await add_on_hand(session, wh.id, pid, n)
        session.add(StockMove(warehouse_id=wh.id, product_id=pid, kind="receipt", on_hand_delta=n,
                              order_number=order.number, user_id=user_id,
                              note=f"received from the brand, order {order.number}"))
    await session.flush()
    return True


async def add_on_hand(session: AsyncSession, warehouse_id: int, product_id: int, qty: int) -> None:
    """``on_hand += qty`` in one UPDATE; the row is created first when the warehouse never held it."""
    result = await session.execute(
        update(Stock).where(Stock.warehouse_id == warehouse_id, Stock.product_id == product_id)
        .values(on_hand=Stock.on_hand + qty).execution_options(synchronize_session=False))
    if result.rowcount == 1:
        return
    exists = await session.scalar(select(Stock.id).where(Stock.warehouse_id == warehouse_id,
                                                         Stock.product_id == product_id))
    if exists is None:
        session.add(Stock(warehouse_id=warehouse_id, product_id=product_id, on_hand=qty, reserved=0, in_transit=0))
        await session.flush()
