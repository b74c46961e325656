"""Storefront payment pages: what a buyer still owes, paying by card, balance or credit, the
buyer's balance and a distributor's Connect account."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.response import Redirect, Response
from sqlalchemy import select

from qudao.core.errors import NotFound, QudaoError
from qudao.core.orders.models import Order
from qudao.core.orders.service import order_for
from qudao.core.validation import form_value as one
from qudao.plugins.payments import (
    accounts,
    balance,
    charges,
    common,
    offline,
    settlement,
    summary,
)
from qudao.plugins.payments import stripe_client as sc
from qudao.plugins.payments.api import balance_view
from qudao.plugins.payments.models import CARD, ConnectedAccount, Payment
from qudao.plugins.payments.pages.helpers import (
    TEST_CARDS,
    attempt,
    back,
    buyers_only,
    flash_of,
    message,
    store_url,
)
from qudao.web.context import RequestContext
from qudao.web.pages.common import buyer_page, form_data, render


@get("/payments/orders")
@buyers_only
async def my_orders(ctx: RequestContext) -> Response[Any]:
    orders = (await ctx.session.scalars(select(Order).where(Order.customer_id == ctx.customer.id)
                                        .order_by(Order.created_at.desc()).limit(100))).all()
    rows = []
    for o in orders:
        st = await summary.standing(ctx, o)
        rows.append({"number": o.number, "status": o.status, "pay_status": st.status,
                     "total": common.money(st.total_minor, st.currency),
                     "outstanding": common.money(st.outstanding_minor, st.currency)})
    return render(ctx, "payments/store_orders.html", rows=rows)


@get("/payments/orders/{number:str}")
@buyers_only
async def pay_page(ctx: RequestContext, request: Request, number: str) -> Response[Any]:
    order = await order_for(ctx, number)
    # a buyer coming back (e.g. from 3-D Secure) sees the current truth from Stripe
    open_cards = (await ctx.session.scalars(select(Payment).where(
        Payment.order_id == order.id, Payment.method == CARD, Payment.status == "pending"))).all()
    for p in open_cards:
        try:
            await charges.refresh_card_payment(ctx, p)
        except Exception:  # noqa: BLE001 - the page still shows what we know
            await ctx.session.rollback()
            order = await order_for(ctx, number)
    order = await order_for(ctx, number)
    pay = await summary.payment_summary(ctx, order)
    balance = await balance_view(ctx, ctx.customer, limit=0)
    action = next((p for p in pay["payments"] if p["stripe_status"] == "requires_action"), None)
    flash, kind = flash_of(request)
    return render(ctx, "payments/pay.html", order=order, pay=pay, balance=balance, cards=TEST_CARDS,
                  action=action, flash=flash, flash_kind=kind, test_mode=bool(sc.api_base("payments")))


@post("/payments/orders/{number:str}/card")
@buyer_page
async def pay_card(ctx: RequestContext, request: Request, number: str) -> Redirect:
    form = await form_data(request)
    url = f"{store_url(ctx)}/orders/{quote(number)}"
    try:
        payment = await charges.create_card_payment(ctx, number)
        payment, pi = await charges.confirm_card_payment(ctx, number, payment.id, None, one(form, "card_number")
                                                         or "4242424242424242")
    except QudaoError as exc:
        return back(url, error=message(exc))
    if payment.status == "succeeded":
        return back(url, done="Paid by card. Thank you!")
    if pi is not None and getattr(pi, "status", None) == "requires_action":
        return back(url, done="Your bank asks you to confirm this payment.")
    return back(url, error=payment.failure or "The card payment did not go through.")


@post("/payments/orders/{number:str}/card/{payment_id:str}/authenticate")
@buyer_page
async def pay_card_authenticate(ctx: RequestContext, request: Request, number: str, payment_id: str) -> Redirect:
    form = await form_data(request)
    url = f"{store_url(ctx)}/orders/{quote(number)}"
    try:
        if not payment_id.isdigit() or len(payment_id) > 19:
            raise NotFound("no such payment")
        payment = await charges.authenticate_test_payment(ctx, number, int(payment_id), one(form, "success") == "1")
    except QudaoError as exc:
        return back(url, error=message(exc))
    if payment.status == "succeeded":
        return back(url, done="Paid by card. Thank you!")
    return back(url, error="The bank did not confirm the payment; try again or use another card.")


@post("/payments/orders/{number:str}/balance")
@buyer_page
async def pay_balance(ctx: RequestContext, number: str) -> Redirect:
    return await attempt(f"{store_url(ctx)}/orders/{quote(number)}", balance.pay_with_balance(ctx, number, None),
                         "Paid from your prepaid balance.")


@post("/payments/orders/{number:str}/credit")
@buyer_page
async def pay_credit(ctx: RequestContext, number: str) -> Redirect:
    return await attempt(f"{store_url(ctx)}/orders/{quote(number)}", offline.choose_credit(ctx, number),
                         "This order is on your credit terms.")


@get("/payments/balance")
@buyers_only
async def my_balance(ctx: RequestContext) -> Response[Any]:
    return render(ctx, "payments/store_balance.html", balance=await balance_view(ctx, ctx.customer, limit=100))


@get("/payments/account")
@buyers_only
async def my_account(ctx: RequestContext, request: Request) -> Response[Any]:
    party = settlement.customer_party(ctx.customer.code)
    acct = await ctx.session.scalar(select(ConnectedAccount).where(ConnectedAccount.party == party))
    if acct is not None:
        try:
            acct = await accounts.refresh_account(ctx, acct)
        except Exception:  # noqa: BLE001
            await ctx.session.rollback()
    flash, kind = flash_of(request)
    return render(ctx, "payments/store_account.html", account=accounts.account_view(acct) if acct else None,
                  flash=flash, flash_kind=kind)


@post("/payments/account")
@buyers_only
async def my_account_onboard(ctx: RequestContext, request: Request) -> Redirect:
    back = f"{str(request.base_url).rstrip('/')}{store_url(ctx)}/account"
    try:
        _, url, _created = await accounts.onboard(ctx, settlement.customer_party(ctx.customer.code), ctx.customer,
                                                 return_url=back, refresh_url=back)
    except QudaoError as exc:
        return back(f"{store_url(ctx)}/account", error=message(exc))
    return Redirect(url)
