"""Rebate pages: admin (programs, entries with close/approve/reject, accounts, reports) and the
buyer's "my rebates". Forms are validated before anything is written, so an error re-renders
the page with nothing stored.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.response import Redirect, Response
from sqlalchemy import select

from qudao.core.customers.models import Customer
from qudao.core.errors import Conflict, InputError, NotFound
from qudao.core.plugin_api import parse_money
from qudao.core.validation import form_value as one
from qudao.plugins.rebates import ledger, programs, reports, settlement
from qudao.plugins.rebates.api import FINANCE, customer_or_404
from qudao.plugins.rebates.forms import program_body, program_values
from qudao.plugins.rebates.models import ENTRY_STATUSES, PENDING, to_minor
from qudao.plugins.rebates.progress import customer_progress
from qudao.web.context import RequestContext
from qudao.web.pages.common import account_page, form_data, render, staff_page

FLASHES = {"saved": "Program saved.", "closed": "Period closed.", "approved": "Approved.",
           "rejected": "Rejected.", "adjusted": "Adjustment recorded."}


def _url(ctx: RequestContext, path: str, done: str | None = None) -> str:
    url = f"/t/{ctx.tenant.slug}/admin/rebates{path}"
    return f"{url}{'&' if '?' in url else '?'}done={done}" if done else url


def _errors(exc: Exception) -> list[dict[str, str]]:
    if isinstance(exc, InputError):
        return exc.errors
    return [{"field": "", "message": str(exc)}]


# --- programs ------------------------------------------------------------------


async def _programs_page(ctx: RequestContext, *, status_code: int = 200, errors: list[dict[str, str]] | None = None,
                         values: dict[str, Any] | None = None, flash: str | None = None) -> Response[Any]:
    rows = [programs.view(p) for p in await programs.all_programs(ctx.session)]
    return render(ctx, "rebates/admin_programs.html", status_code=status_code, rows=rows, errors=errors or [],
                  values=values or {"active": True, "period": "quarter", "max_deduct_percent": "10"}, flash=flash)


@get("/admin/rebates")
@staff_page()
async def admin_programs(ctx: RequestContext, done: str | None = None) -> Response[Any]:
    return await _programs_page(ctx, flash=FLASHES.get(done or ""))


@post("/admin/rebates")
@staff_page(FINANCE)
async def admin_create(ctx: RequestContext, request: Request) -> Response[Any]:
    form = await form_data(request)
    try:
        async with ctx.session.begin_nested():  # a refusal rolls back to here, the page's objects stay
            program = await programs.create(ctx.session, program_body(form), ctx.tenant.currency or "CNY")
            programs.audit_change(ctx, None, programs.view(program))
    except (InputError, Conflict) as exc:
        return await _programs_page(ctx, status_code=422, errors=_errors(exc), values=form)
    code = program.code
    await ctx.session.commit()
    return Redirect(_url(ctx, f"/programs/{quote(code, safe='')}", "saved"))


async def _program_page(ctx: RequestContext, code: str, *, status_code: int = 200,
                        errors: list[dict[str, str]] | None = None, values: dict[str, Any] | None = None,
                        flash: str | None = None) -> Response[Any]:
    program = await programs.by_code(ctx.session, code)
    view = programs.view(program)
    return render(ctx, "rebates/admin_program.html", status_code=status_code, program=view,
                  values=values or program_values(view), errors=errors or [], flash=flash)


@get("/admin/rebates/programs/{code:str}")
@staff_page()
async def admin_program(ctx: RequestContext, code: str, done: str | None = None) -> Response[Any]:
    return await _program_page(ctx, code, flash=FLASHES.get(done or ""))


@post("/admin/rebates/programs/{code:str}")
@staff_page(FINANCE)
async def admin_save(ctx: RequestContext, request: Request, code: str) -> Response[Any]:
    await programs.by_code(ctx.session, code)  # 404 for an unknown (or another tenant's) program
    form = await form_data(request)
    body = program_body(form)
    body.pop("code", None)
    try:
        async with ctx.session.begin_nested():
            before = await programs.view_of(ctx.session, code)
            program, _created = await programs.replace(ctx.session, code, body, ctx.tenant.currency or "CNY")
            programs.audit_change(ctx, before, programs.view(program))
    except InputError as exc:
        return await _program_page(ctx, code, status_code=422, errors=exc.errors, values=form)
    await ctx.session.commit()
    return Redirect(_url(ctx, f"/programs/{quote(code, safe='')}", "saved"))


# --- entries: close, approve, reject -------------------------------------------


async def _entries_page(ctx: RequestContext, status: str | None, *, status_code: int = 200,
                        errors: list[dict[str, str]] | None = None, flash: str | None = None,
                        values: dict[str, Any] | None = None) -> Response[Any]:
    status = status if status in ENTRY_STATUSES else None
    found = await settlement.list_entries(ctx, status=status, limit=500)
    return render(ctx, "rebates/admin_entries.html", status_code=status_code, status=status,
                  entries=await settlement.entry_views(ctx, found), statuses=ENTRY_STATUSES,
                  programs=[programs.view(p) for p in await programs.all_programs(ctx.session)],
                  errors=errors or [], flash=flash, values=values or {})


@get("/admin/rebates/entries")
@staff_page()
async def admin_entries(ctx: RequestContext, status: str | None = PENDING, done: str | None = None) -> Response[Any]:
    return await _entries_page(ctx, status, flash=FLASHES.get(done or ""))


@post("/admin/rebates/entries/close")
@staff_page(FINANCE)
async def admin_close(ctx: RequestContext, request: Request) -> Response[Any]:
    form = await form_data(request)
    try:
        async with ctx.session.begin_nested():
            program = await programs.by_code(ctx.session, one(form, "program"))
            await settlement.close(ctx, program, settlement.period_of_text(program, one(form, "period")))
    except (InputError, Conflict, NotFound) as exc:
        return await _entries_page(ctx, PENDING, status_code=422, errors=_errors(exc), values=form)
    await ctx.session.commit()
    return Redirect(_url(ctx, "/entries?status=pending", "closed"))


@post("/admin/rebates/entries/decide")
@staff_page(FINANCE)
async def admin_decide(ctx: RequestContext, request: Request) -> Response[Any]:
    """One form for the list: a row's approve/reject button, or "approve selected" with checkboxes."""
    raw = await request.form()
    action = str(raw.get("action") or "")
    try:
        async with ctx.session.begin_nested():
            done = await _decide(ctx, raw, action)
    except (InputError, Conflict, NotFound) as exc:
        return await _entries_page(ctx, PENDING, status_code=422, errors=_errors(exc))
    await ctx.session.commit()
    return Redirect(_url(ctx, "/entries?status=pending", done))


async def _decide(ctx: RequestContext, raw: Any, action: str) -> str:
    if action == "bulk":
        await settlement.approve_many(ctx, [str(v) for v in raw.getall("ids")] if hasattr(raw, "getall") else [])
        return "approved"
    verb, _sep, entry_id = action.partition(":")
    entry = await settlement.entry_by_id(ctx, entry_id)
    if verb == "approve":
        await settlement.approve(ctx, entry)
        return "approved"
    if verb == "reject":
        await settlement.reject(ctx, entry, str(raw.get(f"reason_{entry_id}") or ""))
        return "rejected"
    raise InputError("choose approve or reject", field="action")


# --- accounts -------------------------------------------------------------------


async def _account_page(ctx: RequestContext, customer: Customer, *, status_code: int = 200,
                        errors: list[dict[str, str]] | None = None, flash: str | None = None,
                        values: dict[str, Any] | None = None) -> Response[Any]:
    return render(ctx, "rebates/admin_account.html", status_code=status_code, customer=customer,
                  account=await ledger.account_view(ctx, customer), progress=await customer_progress(ctx, customer),
                  errors=errors or [], flash=flash, values=values or {})


@get("/admin/rebates/accounts/{code:str}")
@staff_page()
async def admin_account(ctx: RequestContext, code: str, done: str | None = None) -> Response[Any]:
    return await _account_page(ctx, await customer_or_404(ctx, code), flash=FLASHES.get(done or ""))


@post("/admin/rebates/accounts/{code:str}/adjustments")
@staff_page(FINANCE)
async def admin_adjust(ctx: RequestContext, request: Request, code: str) -> Response[Any]:
    customer = await customer_or_404(ctx, code)
    form = await form_data(request)
    reason = one(form, "reason")[:500]
    try:
        if not reason:
            raise InputError("is required: say why the balance changes", field="reason")
        try:
            amount = parse_money(one(form, "amount"), ctx.tenant.currency or "CNY", allow_negative=True)
        except ValueError as exc:
            raise InputError(str(exc), field="amount") from None
        if amount == 0:
            raise InputError("must not be zero", field="amount")
        async with ctx.session.begin_nested():
            await ledger.adjust(ctx, customer.id, to_minor(amount, ctx.tenant.currency or "CNY"), reason)
    except (InputError, ledger.RebateRefused) as exc:
        errors = exc.errors if isinstance(exc, InputError) else [{"field": "amount", "message": str(exc)}]
        return await _account_page(ctx, customer, status_code=422, errors=errors, values=form)
    await ctx.session.commit()
    return Redirect(_url(ctx, f"/accounts/{quote(code, safe='')}", "adjusted"))


# --- reports ---------------------------------------------------------------------


@get("/admin/rebates/reports")
@staff_page()
async def admin_reports(ctx: RequestContext, by: str = "program") -> Response[Any]:
    by = by if by in reports.DIMENSIONS else "program"
    return render(ctx, "rebates/admin_reports.html", by=by, rows=await reports.rows(ctx, by),
                  dimensions=reports.DIMENSIONS, columns=reports.columns(by))


@get("/admin/rebates/reports.xlsx")
@staff_page()
async def admin_reports_xlsx(ctx: RequestContext, by: str = "program") -> Response[Any]:
    by = by if by in reports.DIMENSIONS else "program"
    return reports.xlsx_response(by, await reports.rows(ctx, by))


# --- the buyer's page -------------------------------------------------------------


@get("/rebates")
@account_page("no rebate account", staff_to="/admin/rebates")
async def my_rebates(ctx: RequestContext) -> Response[Any]:
    customer = await ctx.session.scalar(select(Customer).where(Customer.id == ctx.customer.id))
    assert customer is not None
    return render(ctx, "rebates/my_rebates.html", progress=await customer_progress(ctx, customer),
                  account=await ledger.account_view(ctx, customer, limit=50))


HANDLERS = [admin_programs, admin_create, admin_program, admin_save, admin_entries, admin_close, admin_decide,
            admin_account, admin_adjust, admin_reports, admin_reports_xlsx, my_rebates]
