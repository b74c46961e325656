"""Top products by sales (gift lines left out)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.orders.models import Order, OrderLine
from qudao.core.reports.window import money, sales_in


async def top_products(session: AsyncSession, start: datetime, end: datetime, top: int = 10,
                       currency: str = "CNY") -> list[tuple[str, str, int, Decimal]]:
    """``(sku, name, qty, sales)``, best first."""
    rows = (await session.execute(
        select(OrderLine.sku, func.max(OrderLine.name), func.sum(OrderLine.qty), func.sum(OrderLine.line_total))
        .join(Order, (Order.id == OrderLine.order_id) & (Order.tenant_id == OrderLine.tenant_id))
        .where(*sales_in(start, end), OrderLine.gift.is_(False))
        .group_by(OrderLine.sku).order_by(func.sum(OrderLine.line_total).desc(), OrderLine.sku).limit(top))).all()
    return [(sku, name, int(qty or 0), money(amount, currency)) for sku, name, qty, amount in rows]
