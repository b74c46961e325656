"""Rebates API under ``/t/{slug}/api/v1`` (404 while the plugin is off for the tenant).

| call | who |
|---|---|
| ``POST /rebates/programs`` / ``GET /rebates/programs`` | staff |
| ``GET /rebates/programs/{code}`` / ``PUT /rebates/programs/{code}`` | staff |
| ``GET /rebates/progress/{customer}`` | staff, or that customer's buyers |
| ``POST /rebates/periods/close`` ``{program, period}`` | staff (finance) |
| ``GET /rebates/entries?status=&program=&period=&customer=`` | staff |
| ``POST /rebates/entries/{id}/approve`` / ``…/reject`` ``{reason}`` | staff (finance) |
| ``POST /rebates/entries/approve`` ``{ids: [...]}`` (bulk) | staff (finance) |
| ``GET /rebates/accounts/{customer}`` → ``{balance, pending, ledger}`` | staff, or that customer's buyers |
| ``POST /rebates/accounts/{customer}/adjustments`` ``{amount, reason}`` (signed) | staff (finance) |
| ``GET /rebates/reports?by=program|customer|period`` (``format=xlsx`` for Excel) | staff |
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response, get, post, put

from qudao.core.customers.models import Customer
from qudao.core.errors import InputError, NotFound
from qudao.core.validation import check_code, required_amount
from qudao.plugins.rebates import ledger, programs, settlement
from qudao.plugins.rebates.models import to_minor
from qudao.plugins.rebates.progress import customer_progress
from qudao.web.context import RequestContext, require_staff, require_user

FINANCE = ("finance",)
MAX_BODY = 1024 * 1024


class JSONFloat(str):
    """A JSON number with a fraction or exponent, kept as its text so it can be refused."""


def refuse_floats(value: Any, path: str = "") -> None:
    if isinstance(value, JSONFloat):
        raise InputError("must be a decimal string such as \"12.50\", not a JSON number", field=path or "body")
    if isinstance(value, dict):
        for k, v in value.items():
            refuse_floats(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            refuse_floats(v, f"{path}[{i}]")


async def body(request: Request) -> dict[str, Any]:
    """The JSON object of the request; a float anywhere is refused (money and percents are strings)."""
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise InputError("is too large", field="body")
    try:
        data = json.loads(raw or b"null", parse_float=JSONFloat)
    except (ValueError, UnicodeDecodeError):
        raise InputError("is not valid JSON", field="body") from None
    if not isinstance(data, dict):
        raise InputError("must be a JSON object", field="body")
    refuse_floats(data)
    return data


def use_tenant_locale(ctx: RequestContext) -> None:
    from qudao.web import i18n

    i18n.set_locale(ctx.tenant.locale)


async def customer_or_404(ctx: RequestContext, code: str) -> Customer:
    from sqlalchemy import select

    if not programs.plain_code(code):
        raise NotFound("no such customer")
    customer = await ctx.session.scalar(select(Customer).where(Customer.code == code))
    if customer is None:
        raise NotFound(f"no customer '{code}'")
    return customer


async def readable_customer(ctx: RequestContext, code: str) -> Customer:
    """Staff read any customer; a buyer only its own (404 for any other, as if it did not exist)."""
    user = require_user(ctx)
    if user.kind != "staff" and (ctx.customer is None or ctx.customer.code != code):
        raise NotFound(f"no customer '{code}'")
    return await customer_or_404(ctx, code)


# --- programs ------------------------------------------------------------------


@post("/rebates/programs", tags=["rebates"], status_code=201)
async def create_program(ctx: RequestContext, request: Request) -> dict[str, Any]:
    require_staff(ctx, FINANCE)
    program = await programs.create(ctx.session, await body(request), ctx.tenant.currency or "CNY")
    view = programs.view(program)
    programs.audit_change(ctx, None, view)
    await ctx.session.commit()
    return view


@get("/rebates/programs", tags=["rebates"])
async def list_programs(ctx: RequestContext) -> list[dict[str, Any]]:
    require_staff(ctx)
    return [programs.view(p) for p in await programs.all_programs(ctx.session)]


@get("/rebates/programs/{code:str}", tags=["rebates"])
async def get_program(ctx: RequestContext, code: str) -> dict[str, Any]:
    require_staff(ctx)
    return programs.view(await programs.by_code(ctx.session, code))


@put("/rebates/programs/{code:str}", tags=["rebates"])
async def put_program(ctx: RequestContext, request: Request, code: str) -> Response[Any]:
    require_staff(ctx, FINANCE)
    check_code(code)
    before = await programs.view_of(ctx.session, code)
    program, created = await programs.replace(ctx.session, code, await body(request), ctx.tenant.currency or "CNY")
    view = programs.view(program)
    programs.audit_change(ctx, before, view)
    await ctx.session.commit()
    return Response(view, status_code=201 if created else 200)


# --- progress ------------------------------------------------------------------


@get("/rebates/progress/{customer:str}", tags=["rebates"])
async def get_progress(ctx: RequestContext, customer: str) -> dict[str, Any]:
    use_tenant_locale(ctx)
    found = await readable_customer(ctx, customer)
    return {"customer": found.code, "programs": await customer_progress(ctx, found)}


# --- settlement ------------------------------------------------------------------


def _reason(data: dict[str, Any], required: bool = False) -> str:
    reason = data.get("reason", "")
    if reason is None:
        reason = ""
    if not isinstance(reason, str) or len(reason) > 500 or "\x00" in reason:
        raise InputError("must be text of at most 500 characters", field="reason")
    if required and not reason.strip():
        raise InputError("is required", field="reason")
    return reason.strip()


@post("/rebates/periods/close", tags=["rebates"])
async def close_period(ctx: RequestContext, request: Request) -> Response[Any]:
    """Close a program's period: 201 with the new pending entries, 200 with the same ones when closed already."""
    require_staff(ctx, FINANCE)
    data = await body(request)
    code = data.get("program")
    if not isinstance(code, str) or not code.strip():
        raise InputError("is required (a program code)", field="program")
    program = await programs.by_code(ctx.session, code.strip())
    period = settlement.period_of_text(program, data.get("period"))
    entries, created = await settlement.close(ctx, program, period)
    views = await settlement.entry_views(ctx, entries)
    await ctx.session.commit()
    return Response({"program": program.code, "period": period.key, "closed": True, "entries": views},
                    status_code=201 if created else 200)


@get("/rebates/entries", tags=["rebates"])
async def list_entries(ctx: RequestContext, status: str | None = None, program: str | None = None,
                       period: str | None = None, customer: str | None = None, limit: int = 200,
                       offset: int = 0) -> list[dict[str, Any]]:
    require_staff(ctx)
    if not 1 <= limit <= 1000 or not 0 <= offset <= 1_000_000:
        raise InputError("limit must be 1-1000 and offset 0 to 1000000", field="limit")
    found = await settlement.list_entries(ctx, status=status, program=program, period=period, customer=customer,
                                          limit=limit, offset=offset)
    return await settlement.entry_views(ctx, found)


@post("/rebates/entries/{entry_id:str}/approve", tags=["rebates"], status_code=200)
async def approve_entry(ctx: RequestContext, request: Request, entry_id: str) -> dict[str, Any]:
    require_staff(ctx, FINANCE)
    raw = await request.body()
    data = await body(request) if raw.strip() else {}
    entry = await settlement.entry_by_id(ctx, entry_id)
    await settlement.approve(ctx, entry, _reason(data))
    view = (await settlement.entry_views(ctx, [entry]))[0]
    await ctx.session.commit()
    return view


@post("/rebates/entries/{entry_id:str}/reject", tags=["rebates"], status_code=200)
async def reject_entry(ctx: RequestContext, request: Request, entry_id: str) -> dict[str, Any]:
    require_staff(ctx, FINANCE)
    data = await body(request)
    entry = await settlement.entry_by_id(ctx, entry_id)
    await settlement.reject(ctx, entry, _reason(data, required=True))
    view = (await settlement.entry_views(ctx, [entry]))[0]
    await ctx.session.commit()
    return view


@post("/rebates/entries/approve", tags=["rebates"], status_code=200)
async def approve_entries(ctx: RequestContext, request: Request) -> dict[str, Any]:
    """Bulk approve ``{ids: [...]}``: all or nothing."""
    require_staff(ctx, FINANCE)
    data = await body(request)
    entries = await settlement.approve_many(ctx, data.get("ids"))
    views = await settlement.entry_views(ctx, entries)
    await ctx.session.commit()
    return {"approved": views}


# --- accounts ------------------------------------------------------------------


@get("/rebates/accounts/{customer:str}", tags=["rebates"])
async def get_account(ctx: RequestContext, customer: str, limit: int = 200, offset: int = 0) -> dict[str, Any]:
    found = await readable_customer(ctx, customer)
    if not 1 <= limit <= 1000 or not 0 <= offset <= 1_000_000:
        raise InputError("limit must be 1-1000 and offset 0 to 1000000", field="limit")
    return await ledger.account_view(ctx, found, limit=limit, offset=offset)


@post("/rebates/accounts/{customer:str}/adjustments", tags=["rebates"], status_code=201)
async def post_adjustment(ctx: RequestContext, request: Request, customer: str) -> dict[str, Any]:
    require_staff(ctx, FINANCE)
    data = await body(request)
    found = await customer_or_404(ctx, customer)
    reason = _reason(data, required=True)
    currency = ctx.tenant.currency or "CNY"
    if data.get("amount") not in (None, "") and not isinstance(data["amount"], str):
        raise InputError('must be a decimal string such as "-50.00"', field="amount")
    amount = required_amount(data, currency, signed=True)
    try:
        await ledger.adjust(ctx, found.id, to_minor(amount, currency), reason)
    except ledger.RebateRefused as exc:
        await ctx.session.rollback()
        raise InputError(str(exc), field="amount") from None
    view = await ledger.account_view(ctx, found)
    await ctx.session.commit()
    return view


# --- reports ---------------------------------------------------------------------


@get("/rebates/reports", tags=["rebates"])
async def get_reports(ctx: RequestContext, by: str = "program", format: str = "json") -> Any:  # noqa: A002
    """Accrued / pending / approved / used / outstanding rebate by program, customer or period;
    ``format=xlsx`` answers an Excel workbook."""
    from qudao.plugins.rebates import reports

    require_staff(ctx)
    if by not in reports.DIMENSIONS:
        raise InputError(f"must be one of {', '.join(reports.DIMENSIONS)}", field="by")
    if format not in ("json", "xlsx"):
        raise InputError("must be json or xlsx", field="format")
    data = await reports.rows(ctx, by)
    return reports.xlsx_response(by, data) if format == "xlsx" else {"by": by, "rows": data}


HANDLERS: list[Any] = [get_reports, create_program, list_programs, get_program, put_program, get_progress, close_period,
                       list_entries, approve_entry, reject_entry, approve_entries, get_account, post_adjustment]
