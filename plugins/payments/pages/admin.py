"""Admin payment pages: payments, an order's payments and refunds, bank transfers, settlement,
reconciliation, split rules, connected accounts and balance top-ups."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.response import Redirect, Response
from sqlalchemy import select

from qudao.core.customers.models import Customer
from qudao.core.errors import InputError, QudaoError
from qudao.core.orders.service import order_for
from qudao.core.validation import form_value as one
from qudao.plugins.payments import accounts, common, reconcile, split_rules, summary
from qudao.plugins.payments.api import period_report
from qudao.plugins.payments.balance import topup
from qudao.plugins.payments.models import BalanceAccount, Payment
from qudao.plugins.payments.offline import record_bank_transfer
from qudao.plugins.payments.pages.helpers import (
    FINANCE,
    admin_url,
    attempt,
    back,
    flash_of,
    message,
)
from qudao.plugins.payments.refunds import create_refund
from qudao.plugins.payments.settlement import settlement_view
from qudao.web.context import RequestContext
from qudao.web.pages.common import form_data, render, staff_page


async def order_amount(ctx: RequestContext, number: str, form: dict[str, Any]) -> int:
    """The form's ``amount`` in the order's currency (minor units)."""
    order = await order_for(ctx, number)
    return common.parse_amount(one(form, "amount"), common.currency_of(ctx, order))


@get("/admin/payments")
@staff_page()
async def admin_home(ctx: RequestContext, request: Request) -> Response[Any]:
    number = (request.query_params.get("order") or "").strip()
    if number:
        return Redirect(f"{admin_url(ctx)}/orders/{quote(number)}")
    payments = (await ctx.session.scalars(select(Payment).order_by(Payment.created_at.desc()).limit(100))).all()
    flash, kind = flash_of(request)
    return render(ctx, "payments/admin_home.html", payments=[{**summary.payment_view(p), "order": p.order_number}
                                                               for p in payments], flash=flash, flash_kind=kind)


@get("/admin/payments/orders/{number:str}")
@staff_page()
async def admin_order(ctx: RequestContext, request: Request, number: str) -> Response[Any]:
    order = await order_for(ctx, number)
    pay = await summary.payment_summary(ctx, order)
    lines = await settlement_view(ctx, order)
    flash, kind = flash_of(request)
    return render(ctx, "payments/admin_order.html", order=order, pay=pay, settlement=lines,
                  flash=flash, flash_kind=kind)


@post("/admin/payments/orders/{number:str}/bank-transfer")
@staff_page(FINANCE)
async def admin_bank_transfer(ctx: RequestContext, request: Request, number: str) -> Redirect:
    return await _money_on_order(ctx, request, number, "Bank transfer recorded.", lambda form, amount: (
        record_bank_transfer(ctx, number, amount, one(form, "reference")[:100] or None,
                             one(form, "note")[:500] or None)))


@post("/admin/payments/orders/{number:str}/refund")
@staff_page(FINANCE)
async def admin_refund(ctx: RequestContext, request: Request, number: str) -> Redirect:
    return await _money_on_order(ctx, request, number, "Refund made; the parties' shares are being reversed.",
                                 lambda form, amount: create_refund(ctx, number, amount,
                                                                    one(form, "reason")[:500] or None))


async def _money_on_order(ctx: RequestContext, request: Request, number: str, done: str,
                          work: Callable[[dict[str, Any], int], Awaitable[Any]]) -> Redirect:
    """A finance write from an order's page: the form's amount for the order, then ``work``; back
    to the order with ``done``, or with the refusal as the flash."""
    form = await form_data(request)

    async def run() -> None:
        await work(form, await order_amount(ctx, number, form))
    return await attempt(f"{admin_url(ctx)}/orders/{quote(number)}", run(), done)


@get("/admin/payments/settlement")
@staff_page()
async def admin_settlement(ctx: RequestContext, request: Request) -> Response[Any]:
    start, end = request.query_params.get("from"), request.query_params.get("to")
    try:
        report = await period_report(ctx, start, end)
        error = None
    except InputError as exc:
        report, error = await period_report(ctx, None, None), message(exc)
    return render(ctx, "payments/admin_settlement.html", report=report, flash=error, flash_kind="error")


@get("/admin/payments/reconciliation")
@staff_page()
async def admin_reconciliation(ctx: RequestContext, request: Request) -> Response[Any]:
    number = (request.query_params.get("order") or "").strip()
    rows = await reconcile.reconcile(ctx, [number] if number else None, limit=100)
    flash, kind = flash_of(request)
    return render(ctx, "payments/admin_reconciliation.html", rows=rows,
                  mismatches=sum(1 for r in rows if not r["ok"]), flash=flash, flash_kind=kind)


@post("/admin/payments/reconciliation/sync")
@staff_page(FINANCE)
async def admin_sync(ctx: RequestContext) -> Redirect:
    result = await reconcile.sync_with_stripe(ctx)
    return back(f"{admin_url(ctx)}/reconciliation",
                 done=f"Checked {result['checked']} open card payment(s), {result['updated']} updated; "
                      f"{result['payouts_queued']} payout(s) queued.")


@get("/admin/payments/rules")
@staff_page()
async def admin_rules(ctx: RequestContext, request: Request) -> Response[Any]:
    flash, kind = flash_of(request)
    return render(ctx, "payments/admin_rules.html", rule=split_rules.rule_view(await split_rules.current_rule(ctx)),
                  flash=flash, flash_kind=kind)


@post("/admin/payments/rules")
@staff_page(("admin",))
async def admin_rules_save(ctx: RequestContext, request: Request) -> Redirect:
    form = await form_data(request)
    body = {k: one(form, k) for k in ("brand_percent", "distributor_percent", "sales_rep_percent")
            if one(form, k) != ""}
    try:
        await split_rules.put_rule(ctx, body)
    except QudaoError as exc:
        return back(f"{admin_url(ctx)}/rules", error=message(exc))
    return back(f"{admin_url(ctx)}/rules", done="Split rules saved.")


@get("/admin/payments/accounts")
@staff_page()
async def admin_accounts(ctx: RequestContext, request: Request) -> Response[Any]:
    views = await accounts.refreshed_views(ctx)
    distributors = (await ctx.session.scalars(
        select(Customer).where(Customer.id.in_(select(Customer.parent_id).where(Customer.parent_id.is_not(None))))
        .order_by(Customer.code))).all()
    flash, kind = flash_of(request)
    return render(ctx, "payments/admin_accounts.html", accounts=views, distributors=distributors,
                  flash=flash, flash_kind=kind)


@post("/admin/payments/accounts")
@staff_page(("admin",))
async def admin_accounts_onboard(ctx: RequestContext, request: Request) -> Redirect:
    form = await form_data(request)
    back = f"{str(request.base_url).rstrip('/')}{admin_url(ctx)}/accounts"
    try:
        party, customer = await accounts.resolve_party(ctx, one(form, "party") or "brand")
        _, url, _created = await accounts.onboard(ctx, party, customer, return_url=back, refresh_url=back,
                                                 email=one(form, "email")[:200] or None)
    except QudaoError as exc:
        return back(f"{admin_url(ctx)}/accounts", error=message(exc))
    return Redirect(url)


@get("/admin/payments/balances")
@staff_page()
async def admin_balances(ctx: RequestContext, request: Request) -> Response[Any]:
    rows = (await ctx.session.execute(select(BalanceAccount, Customer).join(
        Customer, Customer.id == BalanceAccount.customer_id).order_by(Customer.code))).all()
    balances = [{"customer": c.code, "name": c.name, "balance": common.money(a.balance_minor, a.currency)}
                for a, c in rows]
    customers = (await ctx.session.scalars(select(Customer).order_by(Customer.code).limit(2000))).all()
    flash, kind = flash_of(request)
    return render(ctx, "payments/admin_balances.html", balances=balances, customers=customers,
                  flash=flash, flash_kind=kind)


@post("/admin/payments/balances")
@staff_page(FINANCE)
async def admin_topup(ctx: RequestContext, request: Request) -> Redirect:
    form = await form_data(request)
    url = f"{admin_url(ctx)}/balances"
    code = one(form, "customer")
    try:
        customer = await ctx.session.scalar(select(Customer).where(Customer.code == code))
        if customer is None:
            raise InputError(f"no customer '{code}'", field="customer")
        amount = common.parse_amount(one(form, "amount"), common.currency_of(ctx))
        await topup(ctx, customer, amount, one(form, "reference")[:100] or None,
                            one(form, "note")[:500] or None)
    except QudaoError as exc:
        return back(url, error=message(exc))
    return back(url, done=f"Topped up {code}.")
