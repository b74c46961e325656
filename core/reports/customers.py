"""Sales by customer: the top customers, and sales per region (the customers' regions)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.customers.models import Customer
from qudao.core.orders.models import Order
from qudao.core.reports.window import money, sales_in


def _by_customer(*columns: Any) -> Any:
    return (select(*columns, func.count(Order.id), func.sum(Order.total))
            .join(Customer, (Customer.id == Order.customer_id) & (Customer.tenant_id == Order.tenant_id)))


async def top_customers(session: AsyncSession, start: datetime, end: datetime, top: int = 10,
                        currency: str = "CNY") -> list[tuple[str, str, int, Decimal]]:
    """``(code, name, orders, sales)``, best first."""
    rows = (await session.execute(
        _by_customer(Customer.code, Customer.name).where(*sales_in(start, end))
        .group_by(Customer.code, Customer.name).order_by(func.sum(Order.total).desc(), Customer.code)
        .limit(top))).all()
    return [(code, name, int(n), money(amount, currency)) for code, name, n, amount in rows]


async def by_region(session: AsyncSession, start: datetime, end: datetime,
                    currency: str = "CNY") -> list[tuple[str, int, Decimal]]:
    """``(region, orders, sales)`` for the 50 best regions (no region = "")."""
    rows = (await session.execute(
        _by_customer(Customer.region).where(*sales_in(start, end))
        .group_by(Customer.region).order_by(func.sum(Order.total).desc()).limit(50))).all()
    return [(region or "", int(n), money(amount, currency)) for region, n, amount in rows]
