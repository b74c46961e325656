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
from qudao.plugins.rebates import programs
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
    program, created = await programs.replace(ctx.session, code, await body(request), ctx.tenant.currency or "CNY")
    view = programs.view(program)
    await ctx.session.commit()
    return Response(view, status_code=201 if created else 200)


# --- progress ------------------------------------------------------------------


@get("/rebates/progress/{customer:str}", tags=["rebates"])
async def get_progress(ctx: RequestContext, customer: str) -> dict[str, Any]:
    use_tenant_locale(ctx)
    found = await readable_customer(ctx, customer)
    return {"customer": found.code, "programs": await customer_progress(ctx, found)}


HANDLERS: list[Any] = [create_program, list_programs, get_program, put_program, get_progress]
