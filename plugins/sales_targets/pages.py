"""Admin pages: the targets grid of a period (add, change values, delete, Excel import, copy to
the next period) and the ranking report with a chart and an Excel export.

A sales rep sees the same pages limited to their own targets and their customers' (read only).
Forms are checked before anything is written, so an error re-renders the page with nothing stored.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Response

from qudao.core.errors import Conflict, InputError
from qudao.plugins.sales_targets import rules, service, xlsx
from qudao.plugins.sales_targets.models import DIMENSIONS, MEASURES, RULES, SCOPES
from qudao.plugins.sales_targets.periods import Period, current, local_today, parse_period
from qudao.web.context import RequestContext
from qudao.web.pages.common import form_data, render, staff_page

ADMINS = ("owner", "admin")
FLASHES = {"added": "Target added.", "saved": "Targets saved.", "deleted": "Target deleted.",
           "imported": "Targets imported.", "copied": "Targets copied to the next period."}


def _period(ctx: RequestContext, raw: str | None) -> Period:
    try:
        return parse_period(raw) if raw else current("month", local_today(ctx.tenant.timezone))
    except InputError:
        return current("month", local_today(ctx.tenant.timezone))


def _url(ctx: RequestContext, period: Period, done: str | None = None, extra: str = "") -> str:
    url = f"/t/{ctx.tenant.slug}/admin/sales-targets?period={quote(period.label)}"
    return url + (f"&done={done}" if done else "") + extra


def _one(form: dict[str, Any], key: str) -> str:
    value = form.get(key, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value).strip() if not isinstance(value, UploadFile) else ""


def _can_edit(ctx: RequestContext) -> bool:
    return ctx.user is not None and ctx.user.kind == "staff" and ctx.user.role in ADMINS


async def _grid(ctx: RequestContext, period: Period, *, status_code: int = 200, errors: list[Any] | None = None,
                values: dict[str, Any] | None = None, flash: str | None = None,
                result: dict[str, Any] | None = None) -> Response[Any]:
    rows = await service.views(ctx, await service.targets_for(ctx, [period]))
    return render(ctx, "sales_targets/grid.html", status_code=status_code, period=period, rows=rows,
                  errors=errors or [], values=values or {}, flash=flash, result=result,
                  can_edit=_can_edit(ctx), dimensions=DIMENSIONS, scopes=SCOPES, measures=MEASURES,
                  rules=RULES, prev=Period(period.kind, _back(period)), next=period.next())


def _back(period: Period) -> Any:
    from datetime import date

    months = {"month": 1, "quarter": 3, "year": 12}[period.kind]
    index = period.start.year * 12 + period.start.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


@get("/admin/sales-targets")
@staff_page()
async def grid(ctx: RequestContext, period: str | None = None, done: str | None = None) -> Response[Any]:
    return await _grid(ctx, _period(ctx, period), flash=FLASHES.get(done or ""))


@post("/admin/sales-targets")
@staff_page(ADMINS)
async def add(ctx: RequestContext, request: Request) -> Response[Any]:
    form = await form_data(request)
    body = {k: _one(form, k) for k in ("period", "dimension", "key", "scope", "scope_value", "measure", "rule",
                                       "target", "note")}
    period = _period(ctx, body["period"])
    try:
        await service.create(ctx, await rules.parse_target(ctx, body))
    except InputError as exc:
        return await _grid(ctx, period, status_code=422, errors=exc.errors, values=body)
    except Conflict as exc:
        return await _grid(ctx, period, status_code=409, errors=[{"field": "target", "message": exc.detail}],
                           values=body)
    await ctx.session.commit()
    return Redirect(_url(ctx, parse_period(body["period"]), "added"))


@post("/admin/sales-targets/grid")
@staff_page(ADMINS)
async def save_grid(ctx: RequestContext, request: Request) -> Response[Any]:
    """The grid's value and rule inputs (``target_<id>``, ``rule_<id>``) saved together, or none."""
    form = await form_data(request)
    period = _period(ctx, _one(form, "period"))
    targets = {t.id: t for t in await service.targets_for(ctx, [period])}
    errors: list[dict[str, str]] = []
    changes = []
    for t in targets.values():
        raw, rule = _one(form, f"target_{t.id}"), _one(form, f"rule_{t.id}") or t.rule
        if not raw:
            continue
        try:
            value = rules.parse_amount(raw, t.measure, ctx.tenant.currency or "CNY", field=f"target_{t.id}")
            if rule not in RULES:
                raise InputError(f"must be one of {', '.join(RULES)}", field=f"rule_{t.id}")
            changes.append((t, value, rule))
        except InputError as exc:
            errors.extend(exc.errors)
    if errors:
        return await _grid(ctx, period, status_code=422, errors=errors, values=form)
    for t, value, rule in changes:
        t.target, t.rule = value, rule
    await ctx.session.commit()
    return Redirect(_url(ctx, period, "saved"))


@post("/admin/sales-targets/{target_id:int}/delete")
@staff_page(ADMINS)
async def remove(ctx: RequestContext, target_id: int) -> Response[Any]:
    target = await service.get_target(ctx, target_id)
    period = Period(target.period_kind, target.period_start)
    await ctx.session.delete(target)
    await ctx.session.commit()
    return Redirect(_url(ctx, period, "deleted"))


@post("/admin/sales-targets/import")
@staff_page(ADMINS)
async def import_file(ctx: RequestContext, request: Request) -> Response[Any]:
    form = await request.form()
    period = _period(ctx, str(form.get("period") or ""))
    upload = form.get("file")
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    try:
        result = await xlsx.import_targets(ctx, data)
    except InputError as exc:  # every row is checked before the first is written: nothing to undo
        return await _grid(ctx, period, status_code=422, errors=exc.errors)
    await ctx.session.commit()
    return Redirect(_url(ctx, period, "imported", f"&created={result['created']}&updated={result['updated']}"))


@get("/admin/sales-targets/template.xlsx")
@staff_page()
async def template(ctx: RequestContext) -> Response[Any]:
    return Response(xlsx.template(), media_type=xlsx.XLSX,
                    headers={"Content-Disposition": 'attachment; filename="sales-targets-template.xlsx"'})


@post("/admin/sales-targets/copy")
@staff_page(ADMINS)
async def copy(ctx: RequestContext, request: Request) -> Response[Any]:
    form = await form_data(request)
    period = _period(ctx, _one(form, "period"))
    try:
        growth = service.parse_growth(_one(form, "growth_percent"))
    except InputError as exc:
        return await _grid(ctx, period, status_code=422, errors=exc.errors, values=form)
    result = await service.copy_to_next(ctx, period, growth)
    await ctx.session.commit()
    return Redirect(_url(ctx, period.next(), "copied", f"&created={result['created']}&skipped={result['skipped']}"))


async def _ranking(ctx: RequestContext, period: str | None,
                   dimension: str | None) -> tuple[Period, str | None, list[dict[str, Any]]]:
    """The report's rows, the same for the page and its Excel file: the period asked for (else the
    current one), by region, sales rep or customer (else overall)."""
    p = _period(ctx, period)
    dim = dimension if dimension in ("region", "sales_rep", "customer") else None
    return p, dim, await service.ranking(ctx, p, dim)


@get("/admin/sales-targets/report")
@staff_page()
async def report(ctx: RequestContext, period: str | None = None, dimension: str | None = None) -> Response[Any]:
    p, dim, rows = await _ranking(ctx, period, dimension)
    chart = {"labels": [r["key"] for r in rows][:30], "values": [float(r["percent"]) for r in rows][:30]}
    return render(ctx, "sales_targets/report.html", period=p, rows=rows, dimension=dim or "", chart=chart)


@get("/admin/sales-targets/report.xlsx")
@staff_page()
async def report_xlsx(ctx: RequestContext, period: str | None = None, dimension: str | None = None) -> Response[Any]:
    p, dim, rows = await _ranking(ctx, period, dimension)
    return Response(xlsx.report_workbook(rows, p.label), media_type=xlsx.XLSX,
                    headers={"Content-Disposition": f'attachment; filename="sales-targets-{p.label}.xlsx"'})


HANDLERS = [grid, add, save_grid, remove, import_file, template, copy, report, report_xlsx]
