"""Credit pages: admin (limits, ledger, repayments, adjustments) and the buyer's "my credit".

Forms are validated before anything is written (a refused repayment changes no row), so an
error re-renders the page in the same session without a rollback (which would expire the
tenant and user objects the layout reads).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.response import Redirect, Response
from sqlalchemy import select

from qudao.core.customers.models import Customer
from qudao.core.errors import InputError
from qudao.core.validation import form_value as _one
from qudao.core.validation import required_amount
from qudao.plugins.credit import accounts, receivables
from qudao.plugins.credit.api import FINANCE, line_of, parse_line
from qudao.plugins.credit.models import CreditAccount, from_minor, to_minor
from qudao.web.context import RequestContext
from qudao.web.pages.common import account_page, form_data, render, staff_page

FLASHES = {
    "saved": "Credit line saved.",
    "paid": "Repayment recorded.",
    "adjusted": "Adjustment recorded.",
}


def _line_body(form: dict[str, Any]) -> dict[str, Any]:
    """Form fields -> the API's body: empty optional fields mean "none" (use the defaults)."""
    block = _one(form, "block_when_overdue")
    return {
        "limit": _one(form, "limit"),
        "terms_days": _one(form, "terms_days") or None,
        "valid_from": _one(form, "valid_from") or None,
        "valid_until": _one(form, "valid_until") or None,
        "block_when_overdue": {"true": True, "false": False}.get(block),
        "note": _one(form, "note"),
    }


def _detail_url(ctx: RequestContext, code: str, flash: str | None = None) -> str:
    url = f"/t/{ctx.tenant.slug}/admin/credit/{quote(code, safe='')}"
    return f"{url}?done={flash}" if flash else url


async def _rows(ctx: RequestContext) -> list[dict[str, Any]]:
    return [{**st.view(customer), "name": customer.name} for customer, st in await accounts.all_lines(ctx)]


async def _customers(ctx: RequestContext) -> list[Customer]:
    return list((await ctx.session.scalars(select(Customer).order_by(Customer.code).limit(2000))).all())


async def _list_page(ctx: RequestContext, *, status_code: int = 200, errors: list[dict[str, str]] | None = None,
                     values: dict[str, Any] | None = None) -> Response[Any]:
    return render(ctx, "credit/admin_list.html", status_code=status_code, rows=await _rows(ctx),
                  customers=await _customers(ctx), errors=errors or [], values=values or {})


async def _detail_page(ctx: RequestContext, customer: Customer, account: CreditAccount, *, status_code: int = 200,
                       errors: list[dict[str, str]] | None = None, values: dict[str, Any] | None = None,
                       form: str = "", flash: str | None = None) -> Response[Any]:
    st = await accounts.standing(ctx, account)
    items = await receivables.open_items(ctx.session, account)
    entries = await receivables.ledger(ctx.session, account, limit=200)
    return render(
        ctx, "credit/admin_detail.html", status_code=status_code, customer=customer, account=account,
        credit=st.view(customer), items=[receivables.item_view(i, account.currency) for i in items],
        entries=[receivables.entry_view(e, account.currency) for e in entries], errors=errors or [],
        values=values or {}, form=form, flash=flash, flash_kind="error" if errors else "ok",
        limit_value=str(from_minor(account.limit_minor, account.currency)),
    )


@get("/admin/credit")
@staff_page()
async def admin_list(ctx: RequestContext) -> Response[Any]:
    return await _list_page(ctx)


@post("/admin/credit")
@staff_page(FINANCE)
async def admin_create(ctx: RequestContext, request: Request) -> Response[Any]:
    form = await form_data(request)
    code = _one(form, "customer")
    customer = await accounts.customer_by_code(ctx.session, code) if code else None
    try:
        if customer is None:
            raise InputError("pick an existing customer" if not code else f"no customer '{code}'", field="customer")
        limit, fields = parse_line(_line_body(form), ctx.tenant.currency or "CNY")
        await receivables.set_line(ctx, customer, limit, fields)
    except InputError as exc:
        return await _list_page(ctx, status_code=422, errors=exc.errors, values=form)
    await ctx.session.commit()
    return Redirect(_detail_url(ctx, code, "saved"))


@get("/admin/credit/{code:str}")
@staff_page()
async def admin_detail(ctx: RequestContext, code: str, done: str | None = None) -> Response[Any]:
    customer, account = await line_of(ctx, code)
    return await _detail_page(ctx, customer, account, flash=FLASHES.get(done or ""))


async def _detail_write(ctx: RequestContext, request: Request, code: str, form_name: str, done: str,
                        work: Callable[[dict[str, Any], Customer, CreditAccount], Awaitable[Any]]) -> Response[Any]:
    """One finance write from the detail page: refused input comes back as a 422 with the form's
    errors (nothing written), success redirects with ``done``. The routes check the role."""
    customer, account = await line_of(ctx, code)
    form = await form_data(request)
    try:
        await work(form, customer, account)
    except (InputError, accounts.CreditRefused) as exc:
        errors = exc.errors if isinstance(exc, InputError) else [{"field": "amount", "message": str(exc)}]
        return await _detail_page(ctx, customer, account, status_code=422, errors=errors, values=form,
                                  form=form_name)
    await ctx.session.commit()
    return Redirect(_detail_url(ctx, code, done))


@post("/admin/credit/{code:str}")
@staff_page(FINANCE)
async def admin_save(ctx: RequestContext, request: Request, code: str) -> Response[Any]:
    async def save(form: dict[str, Any], customer: Customer, account: CreditAccount) -> None:
        limit, fields = parse_line(_line_body(form), account.currency)
        await receivables.set_line(ctx, customer, limit, fields)
    return await _detail_write(ctx, request, code, "line", "saved", save)


@post("/admin/credit/{code:str}/payments")
@staff_page(FINANCE)
async def admin_payment(ctx: RequestContext, request: Request, code: str) -> Response[Any]:
    async def pay(form: dict[str, Any], customer: Customer, account: CreditAccount) -> None:
        amount = required_amount({"amount": _one(form, "amount")}, account.currency)
        await receivables.repay(ctx, account, to_minor(amount, account.currency), note=_one(form, "note")[:500],
                                reference=_one(form, "reference")[:100])
    return await _detail_write(ctx, request, code, "payment", "paid", pay)


@post("/admin/credit/{code:str}/adjustments")
@staff_page(FINANCE)
async def admin_adjustment(ctx: RequestContext, request: Request, code: str) -> Response[Any]:
    async def adjust(form: dict[str, Any], customer: Customer, account: CreditAccount) -> None:
        note = _one(form, "note")[:500]
        if not note:
            raise InputError("is required: say why the balance changes", field="note")
        amount = required_amount({"amount": _one(form, "amount")}, account.currency, signed=True)
        await receivables.adjust(ctx, account, to_minor(amount, account.currency), note=note)
    return await _detail_write(ctx, request, code, "adjustment", "adjusted", adjust)


@get("/credit")
@account_page("no credit line", staff_to="/admin/credit")
async def my_credit(ctx: RequestContext) -> Response[Any]:
    """The buyer's page: limit, used, available, and what is due when."""
    account = await accounts.account_for(ctx.session, ctx.customer.id)
    if account is None:
        return render(ctx, "credit/my_credit.html", credit=None, items=[], entries=[])
    st = await accounts.standing(ctx, account)
    items = await receivables.open_items(ctx.session, account)
    entries = await receivables.ledger(ctx.session, account, limit=50)
    return render(ctx, "credit/my_credit.html", credit=st.view(ctx.customer),
                  items=[receivables.item_view(i, account.currency) for i in items],
                  entries=[receivables.entry_view(e, account.currency) for e in entries])


HANDLERS = [admin_list, admin_create, admin_detail, admin_save, admin_payment, admin_adjustment, my_credit]
