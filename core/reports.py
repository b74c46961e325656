"""Sales reports (first cut): by day in the tenant's time zone, by product, customer and region.

Sales are orders that were not rejected or cancelled, counted on the day they
were placed. Day buckets are made in Python from UTC timestamps, so the answer
is the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.customers.models import Customer
from qudao.core.money import quantize
from qudao.core.orders.models import Order, OrderLine

NOT_SALES = ("rejected", "cancelled")


@dataclass
class SalesReport:
    start: date
    end: date
    by_day: list[tuple[date, Decimal, int]]
    top_products: list[tuple[str, str, int, Decimal]]
    top_customers: list[tuple[str, str, int, Decimal]]
    by_region: list[tuple[str, int, Decimal]]
    total: Decimal
    orders: int


def _money(value: Any, currency: str) -> Decimal:
    return quantize(Decimal(str(value or 0)), currency)


def window(tz: str, days: int, today: date | None = None) -> tuple[date, date, datetime, datetime]:
    zone = ZoneInfo(tz)
    end_day = today or datetime.now(UTC).astimezone(zone).date()
    start_day = end_day - timedelta(days=days - 1)
    start = datetime.combine(start_day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(end_day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start_day, end_day, start, end


async def sales_report(session: AsyncSession, tz: str, days: int = 30, top: int = 10,
                       today: date | None = None, currency: str = "CNY") -> SalesReport:
    zone = ZoneInfo(tz)
    start_day, end_day, start, end = window(tz, days, today)
    in_window = (Order.created_at >= start, Order.created_at < end, Order.status.not_in(NOT_SALES),
                 Order.seller_customer_id.is_(None))  # the brand's own sales; resellers': sell-through
    buckets: dict[date, list[Any]] = {start_day + timedelta(days=i): [Decimal("0"), 0] for i in range(days)}
    rows = await session.execute(select(Order.created_at, Order.total).where(*in_window))
    for created_at, total in rows.all():
        day = created_at.astimezone(zone).date()
        if day in buckets:
            buckets[day][0] += total
            buckets[day][1] += 1
    by_day = [(d, quantize(Decimal(v[0]), currency), v[1]) for d, v in sorted(buckets.items())]
    products = (await session.execute(
        select(OrderLine.sku, func.max(OrderLine.name), func.sum(OrderLine.qty), func.sum(OrderLine.line_total))
        .join(Order, (Order.id == OrderLine.order_id) & (Order.tenant_id == OrderLine.tenant_id))
        .where(*in_window, OrderLine.gift.is_(False))
        .group_by(OrderLine.sku).order_by(func.sum(OrderLine.line_total).desc(), OrderLine.sku).limit(top))).all()
    customers = (await session.execute(
        select(Customer.code, Customer.name, func.count(Order.id), func.sum(Order.total))
        .join(Customer, (Customer.id == Order.customer_id) & (Customer.tenant_id == Order.tenant_id))
        .where(*in_window).group_by(Customer.code, Customer.name)
        .order_by(func.sum(Order.total).desc(), Customer.code).limit(top))).all()
    regions = (await session.execute(
        select(Customer.region, func.count(Order.id), func.sum(Order.total))
        .join(Customer, (Customer.id == Order.customer_id) & (Customer.tenant_id == Order.tenant_id))
        .where(*in_window).group_by(Customer.region).order_by(func.sum(Order.total).desc()).limit(50))).all()
    return SalesReport(
        start=start_day, end=end_day, by_day=by_day,
        top_products=[(sku, name, int(qty or 0), _money(amount, currency)) for sku, name, qty, amount in products],
        top_customers=[(code, name, int(n), _money(amount, currency)) for code, name, n, amount in customers],
        by_region=[(region or "", int(n), _money(amount, currency)) for region, n, amount in regions],
        total=sum((v for _, v, _ in by_day), Decimal("0")), orders=sum(n for _, _, n in by_day),
    )


def bar_chart(by_day: list[tuple[date, Decimal, int]], width: int = 720, height: int = 220) -> dict[str, Any]:
    """Geometry for an inline SVG bar chart (no JavaScript)."""
    left, bottom, top = 56, 24, 10
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max((v for _, v, _ in by_day), default=Decimal("0"))
    scale_max = _nice(peak)
    n = max(1, len(by_day))
    slot = plot_w / n
    bars = []
    for i, (day, value, count) in enumerate(by_day):
        h = float(value / scale_max * plot_h) if scale_max else 0.0
        bars.append({"x": round(left + i * slot + slot * 0.15, 1), "w": round(slot * 0.7, 1),
                     "y": round(top + plot_h - h, 1), "h": round(h, 1), "day": day.isoformat(),
                     "label": day.strftime("%m-%d"), "value": str(value), "count": count,
                     "show_label": i % max(1, n // 10) == 0 or i == n - 1})
    ticks = [{"y": round(top + plot_h - plot_h * k / 4, 1), "value": str((scale_max * k / 4).quantize(Decimal("1")))}
             for k in range(5)]
    return {"width": width, "height": height, "bars": bars, "ticks": ticks, "left": left,
            "base_y": top + plot_h, "right": width - 8}


def _nice(peak: Decimal) -> Decimal:
    if peak <= 0:
        return Decimal("0")
    magnitude = Decimal(10) ** (len(str(int(peak))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        candidate = Decimal(str(step)) * magnitude
        if candidate >= peak:
            return candidate
    return peak


def report_xlsx(report: SalesReport, currency: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    sheets = [
        ("By day", ("date", "orders", f"sales ({currency})"), [(d.isoformat(), n, str(v)) for d, v, n in report.by_day]),
        ("By product", ("sku", "name", "qty", f"sales ({currency})"),
         [(s, nm, q, str(a)) for s, nm, q, a in report.top_products]),
        ("By customer", ("code", "name", "orders", f"sales ({currency})"),
         [(c, nm, n, str(a)) for c, nm, n, a in report.top_customers]),
        ("By region", ("region", "orders", f"sales ({currency})"), [(r, n, str(a)) for r, n, a in report.by_region]),
    ]
    for title, header, rows in sheets:
        ws = wb.create_sheet(title)
        ws.append(list(header))
        for row in rows:
            ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
