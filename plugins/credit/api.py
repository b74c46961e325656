"""Credit API under ``/t/{slug}/api/v1`` (404 while the plugin is off for the tenant).

| call | who |
|---|---|
| ``GET /credit`` | staff: every credit line |
| ``PUT /credit/{customer}`` ``{limit, terms_days?, valid_from?, valid_until?, block_when_overdue?, note?}`` | staff (finance) |
| ``GET /credit/{customer}`` → ``{limit, used, available, …}`` | staff, or that customer's own buyers |
| ``GET /credit/{customer}/ledger`` → ``{items, entries}`` | staff, or that customer's own buyers |
| ``POST /credit/{customer}/payments`` ``{amount, reference?, note?}`` | staff (finance) |
| ``POST /credit/{customer}/adjustments`` ``{amount, note}`` (signed) | staff (finance) |
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from litestar import Request, Response, get, post, put

from qudao.core.customers.models import Customer
from qudao.core.errors import InputError, NotFound
from qudao.core.plugin_api import parse_money
from qudao.core.validation import required_amount
from qudao.plugins.credit import accounts, receivables
from qudao.plugins.credit.models import CreditAccount, to_minor
from qudao.web.api.common import json_body, paging, upserted
from qudao.web.context import RequestContext, require_staff, require_user

FINANCE = ("finance",)
MAX_TERMS_DAYS = 3650


# --- input ---------------------------------------------------------------------


def _text(data: dict[str, Any], key: str, errors: list[dict[str, str]], max_len: int) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_len or "\x00" in value:
        errors.append({"field": key, "message": f"must be text of at most {max_len} characters"})
        return None
    return value.strip()


def _date(data: dict[str, Any], key: str, errors: list[dict[str, str]]) -> date | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors.append({"field": key, "message": "must be a date as YYYY-MM-DD"})
        return None


def parse_line(data: dict[str, Any], currency: str) -> tuple[Decimal, dict[str, Any]]:
    """Validate a credit line body; raises InputError listing every bad field (nothing is stored)."""
    errors: list[dict[str, str]] = []
    limit = Decimal("0")
    if "limit" not in data or data["limit"] in (None, ""):
        errors.append({"field": "limit", "message": "is required"})
    else:
        try:
            limit = parse_money(data["limit"], currency)
        except ValueError as exc:
            errors.append({"field": "limit", "message": str(exc)})
    fields: dict[str, Any] = {}
    if "terms_days" in data:
        terms = data["terms_days"]
        if terms is None:
            fields["terms_days"] = None
        elif isinstance(terms, bool) or not isinstance(terms, int | str) or not str(terms).strip().isdigit():
            errors.append({"field": "terms_days", "message": "must be a whole number of days, 0 or more"})
        elif int(str(terms)) > MAX_TERMS_DAYS:
            errors.append({"field": "terms_days", "message": f"must be at most {MAX_TERMS_DAYS}"})
        else:
            fields["terms_days"] = int(str(terms))
    for key in ("valid_from", "valid_until"):
        if key in data:
            fields[key] = _date(data, key, errors)
    if fields.get("valid_from") and fields.get("valid_until") and fields["valid_until"] < fields["valid_from"]:
        errors.append({"field": "valid_until", "message": "must not be before valid_from"})
    if "block_when_overdue" in data:
        block = data["block_when_overdue"]
        if block is not None and not isinstance(block, bool):
            errors.append({"field": "block_when_overdue", "message": "must be true, false or null"})
        else:
            fields["block_when_overdue"] = block
    if "note" in data:
        fields["note"] = _text(data, "note", errors, 500) or ""
    if errors:
        raise InputError(errors)
    return limit, fields


# --- lookups -------------------------------------------------------------------


async def customer_or_404(ctx: RequestContext, code: str) -> Customer:
    customer = await accounts.customer_by_code(ctx.session, code)
    if customer is None:
        raise NotFound(f"no customer '{code}'")
    return customer


async def line_of(ctx: RequestContext, code: str) -> tuple[Customer, CreditAccount]:
    customer = await customer_or_404(ctx, code)
    account = await accounts.account_for(ctx.session, customer.id)
    if account is None:
        raise NotFound(f"customer '{code}' has no credit line; set one with PUT /credit/{code}")
    return customer, account


async def readable_account(ctx: RequestContext, code: str) -> tuple[Customer, CreditAccount]:
    """Staff read any line; a buyer only its own customer's (404 for any other, as if it did not exist)."""
    user = require_user(ctx)
    if user.kind != "staff" and (ctx.customer is None or ctx.customer.code != code):
        raise NotFound(f"no customer '{code}'")
    return await line_of(ctx, code)


async def account_for_staff(ctx: RequestContext, code: str) -> tuple[Customer, CreditAccount]:
    require_staff(ctx, FINANCE)
    return await line_of(ctx, code)


# --- handlers ------------------------------------------------------------------


@get("/credit", tags=["credit"])
async def list_credit(ctx: RequestContext) -> list[dict[str, Any]]:
    require_staff(ctx)
    return [st.view(customer) for customer, st in await accounts.all_lines(ctx)]


@put("/credit/{customer:str}", tags=["credit"])
async def put_credit(ctx: RequestContext, request: Request, customer: str) -> Response[Any]:
    require_staff(ctx, FINANCE)
    data = await json_body(request)
    found = await customer_or_404(ctx, customer)
    limit, fields = parse_line(data, ctx.tenant.currency or "CNY")
    account, created = await receivables.set_line(ctx, found, limit, fields)
    await ctx.session.commit()
    return upserted((await accounts.standing(ctx, account)).view(found), created)


@get("/credit/{customer:str}", tags=["credit"])
async def get_credit(ctx: RequestContext, customer: str) -> dict[str, Any]:
    found, account = await readable_account(ctx, customer)
    return (await accounts.standing(ctx, account)).view(found)


@get("/credit/{customer:str}/ledger", tags=["credit"])
async def get_ledger(ctx: RequestContext, customer: str, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    found, account = await readable_account(ctx, customer)
    page = paging(limit, offset, most=500)
    entries = await receivables.ledger(ctx.session, account, limit=page.limit, offset=page.offset)
    items = await receivables.open_items(ctx.session, account)
    return {
        **(await accounts.standing(ctx, account)).view(found),
        "items": [receivables.item_view(i, account.currency) for i in items],
        "entries": [receivables.entry_view(e, account.currency) for e in entries],
    }


@post("/credit/{customer:str}/payments", tags=["credit"], status_code=201)
async def post_payment(ctx: RequestContext, request: Request, customer: str) -> dict[str, Any]:
    data = await json_body(request)
    found, account = await account_for_staff(ctx, customer)
    errors: list[dict[str, str]] = []
    note = _text(data, "note", errors, 500) or ""
    reference = _text(data, "reference", errors, 100) or ""
    if errors:
        raise InputError(errors)
    amount = required_amount(data, account.currency)
    try:
        entry = await receivables.repay(ctx, account, to_minor(amount, account.currency), note=note,
                                    reference=reference)
    except accounts.CreditRefused as exc:  # nothing was written
        raise InputError(str(exc), field="amount") from None
    await ctx.session.commit()
    return {**(await accounts.standing(ctx, account)).view(found), "entry": receivables.entry_view(entry, account.currency)}


@post("/credit/{customer:str}/adjustments", tags=["credit"], status_code=201)
async def post_adjustment(ctx: RequestContext, request: Request, customer: str) -> dict[str, Any]:
    data = await json_body(request)
    found, account = await account_for_staff(ctx, customer)
    errors: list[dict[str, str]] = []
    note = _text(data, "note", errors, 500)
    if not note:
        errors.append({"field": "note", "message": "is required: say why the balance changes"})
    if errors:
        raise InputError(errors)
    amount = required_amount(data, account.currency, signed=True)
    try:
        entry = await receivables.adjust(ctx, account, to_minor(amount, account.currency), note=note or "")
    except accounts.CreditRefused as exc:  # nothing was written
        raise InputError(str(exc), field="amount") from None
    await ctx.session.commit()
    return {**(await accounts.standing(ctx, account)).view(found), "entry": receivables.entry_view(entry, account.currency)}


HANDLERS = [list_credit, put_credit, get_credit, get_ledger, post_payment, post_adjustment]
