"""The sales overview: by day, top products, top customers and regions over one window, and its
Excel download (one sheet per report)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.reports.customers import by_region, top_customers
from qudao.core.reports.daily import sales_by_day
from qudao.core.reports.products import top_products
from qudao.core.reports.window import window


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


async def sales_report(session: AsyncSession, tz: str, days: int = 30, top: int = 10,
                       today: date | None = None, currency: str = "CNY") -> SalesReport:
    start_day, end_day, start, end = window(tz, days, today)
    by_day = await sales_by_day(session, tz, days, today, currency)
    return SalesReport(
        start=start_day, end=end_day, by_day=by_day,
        top_products=await top_products(session, start, end, top, currency),
        top_customers=await top_customers(session, start, end, top, currency),
        by_region=await by_region(session, start, end, currency),
        total=sum((v for _, v, _ in by_day), Decimal("0")), orders=sum(n for _, _, n in by_day),
    )


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
