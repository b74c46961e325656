"""The window every sales report reads: which orders count as sales, and the UTC bounds of a
run of whole days in the tenant's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement

from qudao.core.money import quantize
from qudao.core.orders.models import Order

NOT_SALES = ("rejected", "cancelled")


def window(tz: str, days: int, today: date | None = None) -> tuple[date, date, datetime, datetime]:
    """First and last day (tenant time) and their UTC bounds ``[start, end)``."""
    zone = ZoneInfo(tz)
    end_day = today or datetime.now(UTC).astimezone(zone).date()
    start_day = end_day - timedelta(days=days - 1)
    start = datetime.combine(start_day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(end_day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start_day, end_day, start, end


def sales_in(start: datetime, end: datetime) -> tuple[ColumnElement[bool], ...]:
    """The WHERE of every sales report: the brand's own orders placed in ``[start, end)`` that are
    sales (resellers' sales are read as sell-through, ``core/channels/sellthrough.py``)."""
    return (Order.created_at >= start, Order.created_at < end, Order.status.not_in(NOT_SALES),
            Order.seller_customer_id.is_(None))


def money(value: Any, currency: str) -> Decimal:
    return quantize(Decimal(str(value or 0)), currency)
