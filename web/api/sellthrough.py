"""The brand's sell-through (流向) report: ``GET /sell-through?from=&to=&group_by=&format=``."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.params import Parameter

from qudao.core.channels.sellthrough import parse_query, report, to_workbook
from qudao.core.errors import InputError
from qudao.web.context import RequestContext, require_staff

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@get("/sell-through", tags=["reseller"])
async def sell_through(ctx: RequestContext, from_: str | None = Parameter(query="from", default=None),
                       to: str | None = None,
                       group_by: str | None = None, format: str | None = None  # noqa: A002
                       ) -> Response[Any]:
    """Units the distributors shipped to their stores, grouped by any of product, region,
    distributor, store, day, month (default ``product,distributor``; the last 30 days), with each
    distributor's stock, days of stock and flags (out of region, slow-moving SKUs, below-floor
    attempts). ``format=xlsx`` answers an Excel file."""
    require_staff(ctx)
    fmt_name = (format or "json").lower()
    if fmt_name not in ("json", "xlsx"):
        raise InputError("must be json or xlsx", field="format")
    data = await report(ctx, parse_query(ctx.tenant.timezone, from_, to, group_by))
    if fmt_name == "xlsx":
        return Response(to_workbook(data), media_type=XLSX,
                        headers={"Content-Disposition": 'attachment; filename="sell-through.xlsx"'})
    return Response(data)


HANDLERS = [sell_through]
