"""The brand's sell-through (流向) report page in the admin: filters, a chart, the table, the
distributors' days of stock and flags, and the Excel download (the same data as ``GET /sell-through``)."""

from __future__ import annotations

import json
from typing import Any

from litestar import get
from litestar.params import Parameter
from litestar.response import Response

from qudao.core.channels.sellthrough import GROUPS, Query, parse_query, report, to_workbook
from qudao.core.errors import InputError
from qudao.web.context import RequestContext
from qudao.web.pages.admin.base import page
from qudao.web.pages.common import staff_page
from qudao.web.pages.store.base import N_

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GROUP_LABELS = {"product": N_("Product"), "region": N_("Region"), "distributor": N_("Distributor"),
                "store": N_("Store"), "day": N_("Day"), "month": N_("Month")}


def chart_data(data: dict[str, Any], limit: int = 15) -> str:
    """Bars of the top rows by quantity, labelled by their group values (for static/sellthrough.js)."""
    rows = data["rows"][:limit]

    def label(row: dict[str, Any]) -> str:
        parts = []
        for g in data["group_by"]:
            parts.append(str(row.get({"product": "name", "distributor": "distributor_name",
                                      "store": "store_name"}.get(g, g)) or "—"))
        return " · ".join(parts)

    return json.dumps({"labels": [label(r) for r in rows], "qty": [r["qty"] for r in rows]}, ensure_ascii=False)


@get("/admin/sell-through")
@staff_page()
async def sell_through_page(ctx: RequestContext, from_: str | None = Parameter(query="from", default=None),
                            to: str | None = None, group_by: list[str] | None = None,
                            format: str | None = None) -> Response[Any]:  # noqa: A002
    groups = ",".join(g for g in (group_by or []) if g) or None
    errors: list[dict[str, str]] = []
    try:
        q = parse_query(ctx.tenant.timezone, from_, to, groups)
    except InputError as exc:
        errors = exc.errors
        q = parse_query(ctx.tenant.timezone, None, None, None)
    data = await report(ctx, q)
    if format == "xlsx" and not errors:
        return Response(to_workbook(data), media_type=XLSX,
                        headers={"Content-Disposition": 'attachment; filename="sell-through.xlsx"'})
    return page(ctx, "reseller/admin_sell_through.html", status_code=422 if errors else 200, data=data,
                q=_form(q), groups=GROUPS, group_labels=GROUP_LABELS, chart=chart_data(data), errors=errors)


def _form(q: Query) -> dict[str, Any]:
    return {"from": q.start.isoformat(), "to": q.end.isoformat(), "group_by": list(q.group_by)}


HANDLERS = [sell_through_page]
