"""ERP sales-order drafts: one row per order line, as .xlsx or CSV.

By default the approved orders (approved, not yet in production or picked) are
exported; a status and a date range (placement day in the tenant's time zone)
narrow it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.catalog.models import Product
from qudao.core.customers.models import Customer
from qudao.core.errors import InputError
from qudao.core.inventory.models import Warehouse
from qudao.core.money import quantize
from qudao.core.orders.flow import STATUSES
from qudao.core.orders.models import Order, OrderLine

COLUMNS = ("order_number", "order_date", "status", "customer_code", "customer_name", "warehouse",
           "delivery_date", "delivery_address", "line_no", "sku", "erp_code", "name", "qty", "unit_price",
           "line_total", "gift", "order_total", "note")
MAX_ORDERS = 20_000


def parse_filters(status: str | None, start: str | None, end: str | None) -> tuple[str | None, date | None,
                                                                                     date | None]:
    errors = []
    st = (status or "approved").strip()
    if st == "all":
        st = None  # type: ignore[assignment]
    elif st not in STATUSES:
        errors.append({"field": "status", "message": f"must be one of {', '.join(STATUSES)} or all"})
    days: list[date | None] = []
    for name, raw in (("start", start), ("end", end)):
        if raw and raw.strip():
            try:
                days.append(date.fromisoformat(raw.strip()))
            except ValueError:
                errors.append({"field": name, "message": "must be a date as YYYY-MM-DD"})
                days.append(None)
        else:
            days.append(None)
    if days[0] and days[1] and days[0] > days[1]:
        errors.append({"field": "end", "message": "must not be before the start"})
    if errors:
        raise InputError(errors)
    return st, days[0], days[1]


async def order_rows(session: AsyncSession, tz: str, status: str | None, start: date | None,
                     end: date | None) -> list[list[Any]]:
    zone = ZoneInfo(tz)
    stmt = (select(Order, Customer.code, Customer.name, Warehouse.code)
            .outerjoin(Customer, (Customer.id == Order.customer_id) & (Customer.tenant_id == Order.tenant_id))
            .outerjoin(Warehouse, (Warehouse.id == Order.warehouse_id) & (Warehouse.tenant_id == Order.tenant_id))
            .where(Order.seller_customer_id.is_(None)))  # the brand's own sales only (core/channels)
    if status:
        stmt = stmt.where(Order.status == status)
    if start:
        stmt = stmt.where(Order.created_at >= datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC))
    if end:
        stmt = stmt.where(Order.created_at < datetime.combine(end + timedelta(days=1), time(0),
                                                              tzinfo=zone).astimezone(UTC))
    orders = (await session.execute(stmt.order_by(Order.created_at, Order.id).limit(MAX_ORDERS))).all()
    if not orders:
        return []
    ids = [o.id for o, *_ in orders]
    lines: dict[int, list[Any]] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for line, erp in (await session.execute(
                select(OrderLine, Product.erp_code)
                .outerjoin(Product, (Product.id == OrderLine.product_id) & (Product.tenant_id == OrderLine.tenant_id))
                .where(OrderLine.order_id.in_(chunk)).order_by(OrderLine.order_id, OrderLine.line_no))).all():
            lines.setdefault(line.order_id, []).append((line, erp))
    out = []
    for order, ccode, cname, wcode in orders:
        guest = order.guest or {}
        for line, erp in lines.get(order.id, []):
            out.append([order.number, order.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"), order.status,
                        ccode or "", cname or guest.get("name", ""), wcode or "",
                        order.delivery_date.isoformat() if order.delivery_date else "",
                        order.delivery_address or guest.get("address", ""), line.line_no, line.sku, erp or "",
                        line.name, line.qty, quantize(line.unit_price, order.currency),
                        quantize(line.line_total, order.currency), line.gift, quantize(order.total, order.currency),
                        order.note or ""])
    return out
