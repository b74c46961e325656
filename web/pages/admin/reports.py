"""The sales report page, its chart fragment and Excel export."""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.response import Response

from qudao.core.reports import bar_chart, report_xlsx, sales_report
from qudao.web.context import RequestContext
from qudao.web.pages.admin.base import page
from qudao.web.pages.common import staff_page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


PERIODS = (7, 30, 90)


def _days(raw: str | None) -> int:
    return int(raw) if raw in {str(d) for d in PERIODS} else 30


@get("/admin/reports")
@staff_page()
async def reports_page(ctx: RequestContext, days: str | None = None) -> Response[Any]:
    n = _days(days)
    report = await sales_report(ctx.session, ctx.tenant.timezone, days=n, currency=ctx.tenant.currency)
    return page(ctx, "admin/reports.html", report=report, chart=bar_chart(report.by_day), days=n, periods=PERIODS)


@get("/admin/reports/chart")
@staff_page()
async def reports_chart(ctx: RequestContext) -> Response[Any]:
    """HTML fragment for the dashboard (loaded by HTMX): the 30-day chart and top 10s."""
    report = await sales_report(ctx.session, ctx.tenant.timezone, currency=ctx.tenant.currency)
    return page(ctx, "admin/_sales.html", report=report, chart=bar_chart(report.by_day))


@get("/admin/reports/sales.xlsx")
@staff_page()
async def reports_xlsx(ctx: RequestContext, days: str | None = None) -> Response[Any]:
    report = await sales_report(ctx.session, ctx.tenant.timezone, days=_days(days), currency=ctx.tenant.currency)
    name = f"{ctx.tenant.slug}-sales-{report.start.isoformat()}-{report.end.isoformat()}.xlsx"
    return Response(report_xlsx(report, ctx.tenant.currency), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


HANDLERS = [reports_page, reports_chart, reports_xlsx]
