"""Sales by day in the tenant's time zone. Day buckets are made in Python from UTC timestamps,
so the answer is the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.money import quantize
from qudao.core.orders.models import Order
from qudao.core.reports.window import sales_in, window


async def sales_by_day(session: AsyncSession, tz: str, days: int, today: date | None = None,
                       currency: str = "CNY") -> list[tuple[date, Decimal, int]]:
    """``(day, sales, orders)`` for every day of the window, days without sales included."""
    zone = ZoneInfo(tz)
    start_day, _end_day, start, end = window(tz, days, today)
    buckets: dict[date, list[Any]] = {start_day + timedelta(days=i): [Decimal("0"), 0] for i in range(days)}
    rows = await session.execute(select(Order.created_at, Order.total).where(*sales_in(start, end)))
    for created_at, total in rows.all():
        day = created_at.astimezone(zone).date()
        if day in buckets:
            buckets[day][0] += total
            buckets[day][1] += 1
    return [(d, quantize(Decimal(v[0]), currency), v[1]) for d, v in sorted(buckets.items())]
