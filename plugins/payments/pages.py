"""Payments pages.

Storefront (buyer): ``/payments/orders`` (what is still to pay), ``/payments/orders/{number}``
(pay by card — a test-mode confirmation flow against the Stripe double, including the 3-D Secure
step — by prepaid balance, or choose credit terms), ``/payments/balance``, ``/payments/account``
(a distributor onboards its Connect account).

Admin (staff): ``/admin/payments`` (recent payments, search), ``/admin/payments/orders/{number}``
(payments, refunds, bank transfers, settlement lines), ``/admin/payments/settlement`` (per period,
what each party received / is pending), ``/admin/payments/reconciliation`` (ledger vs Stripe),
``/admin/payments/rules`` (split form), ``/admin/payments/accounts`` (onboarding),
``/admin/payments/balances`` (top-ups).

Every POST redirects (post/redirect/get); a refusal comes back as ``?error=`` on the page, so a
page is never rendered from a session that a refused write rolled back.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from litestar import Request, get, post
from litestar.response import Redirect, Response
from sqlalchemy import select

from qudao.core.customers.models import Customer
from qudao.core.errors import InputError, NotFound, QudaoError
from qudao.core.orders.models import Order
from qudao.core.orders.service import order_for
from qudao.plugins.payments import payouts, service
from qudao.plugins.payments.api import balance_view, period_report
from qudao.plugins.payments.models import CARD, ConnectedAccount, Payment
from qudao.web.context import RequestContext
from qudao.web.pages.common import buyer_or_login, form_data, render, staff_or_login

FINANCE = ("finance",)
TEST_CARDS = [("4242424242424242", "Visa 4242 — succeeds"),
              ("4000002760003184", "Visa 3184 — asks for 3-D Secure")]


def _one(form: dict[str, Any], key: str) -> str:
    value = form.get(key, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value).strip()


def _msg(exc: QudaoError) -> str:
    if isinstance(exc, InputError):
        return "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors)
    violations = getattr(exc, "violations", None)
    if violations:
        return "; ".join(v["message"] for v in violations)
    return exc.detail


def _back(url: str, **params: str) -> Redirect:
    query = urlencode({k: v for k, v in params.items() if v})
    return Redirect(f"{url}?{query}" if query else url)


def _flash(request: Request) -> tuple[str | None, str]:
    error = request.query_params.get("error")
    if error:
        return error[:500], "error"
    done = request.query_params.get("done")
    return (done[:200], "ok") if done else (None, "ok")


def _store(ctx: RequestContext) -> str:
    return f"/t/{ctx.tenant.slug}/payments"


def _admin(ctx: RequestContext) -> str:
    return f"/t/{ctx.tenant.slug}/admin/payments"


# --- storefront ------------------------------------------------------------------------------------


@get("/payments/orders")
async def my_orders(ctx: RequestContext) -> Response[Any]:
    if (redirect := buyer_or_login(ctx)) is not None:
        return redirect
    if ctx.customer is None:
        raise NotFound("buyers only")
    orders = (await ctx.session.scalars(select(Order).where(Order.customer_id == ctx.customer.id)
                                        .order_by(Order.created_at.desc()).limit(100))).all()
    rows = []
    for o in orders:
        st = await service.standing(ctx, o)
        rows.append({"number": o.number, "status": o.status, "pay_status": st.status,
                     "total": service.money(st.total_minor, st.currency),
                     "outstanding": service.money(st.outstanding_minor, st.currency)})
    return render(ctx, "payments/store_orders.html", rows=rows)


@get("/payments/orders/{number:str}")
async def pay_page(ctx: RequestContext, request: Request, number: str) -> Response[Any]:
    if (redirect := buyer_or_login(ctx)) is not None:
        return redirect
    if ctx.customer is None:
        raise NotFound("buyers only")
    order = await order_for(ctx, number)
    # a buyer coming back (e.g. from 3-D Secure) sees the current truth from Stripe
    open_cards = (await ctx.session.scalars(select(Payment).where(
        Payment.order_id == order.id, Payment.method == CARD, Payment.status == "pending"))).all()
    for p in open_cards:
        try:
            await service.refresh_card_payment(ctx, p)
        except Exception:  # noqa: BLE001 - the page still shows what we know
            await ctx.session.rollback()
            order = await order_for(ctx, number)
    order = await order_for(ctx, number)
    summary = await service.payment_summary(ctx, order)
    balance = await balance_view(ctx, ctx.customer, limit=0)
    action = next((p for p in summary["payments"] if p["stripe_status"] == "requires_action"), None)
    flash, kind = _flash(request)
    return render(ctx, "payments/pay.html", order=order, pay=summary, balance=balance, cards=TEST_CARDS,
                  action=action, flash=flash, flash_kind=kind, test_mode=bool(service.sc.api_base("payments")))


@post("/payments/orders/{number:str}/card")
async def pay_card(ctx: RequestContext, request: Request, number: str) -> Redirect:
    if (redirect := buyer_or_login(ctx)) is not None:
        return redirect
    form = await form_data(request)
    url = f"{_store(ctx)}/orders/{quote(number)}"
    try:
        payment = await service.create_card_payment(ctx, number)
        payment, pi = await service.confirm_card_payment(ctx, number, payment.id, None, _one(form, "card_number")
                                                         or "4242424242424242")
    except QudaoError as exc:
        return _back(url, error=_msg(exc))
    if payment.status == "succeeded":
        return _back(url, done="Paid by card. Thank you!")
    if pi is not None and getattr(pi, "status", None) == "requires_action":
        return _back(url, done="Your bank asks you to confirm this payment.")
    return _back(url, error=payment.failure or "The card payment did not go through.")


@post("/payments/orders/{number:str}/card/{payment_id:str}/authenticate")
async def pay_card_authenticate(ctx: RequestContext, request: Request, number: str, payment_id: str) -> Redirect:
    if (redirect := buyer_or_login(ctx)) is not None:
        return redirect
    form = await form_data(request)
    url = f"{_store(ctx)}/orders/{quote(number)}"
    try:
        if not payment_id.isdigit() or len(payment_id) > 19:
            raise NotFound("no such payment")
        payment = await service.authenticate_test_payment(ctx, number, int(payment_id), _one(form, "success") == "1")
    except QudaoError as exc:
        return _back(url, error=_msg(exc))
    if payment.status == "succeeded":
        return _back(url, done="Paid by card. Thank you!")
    return _back(url, error="The bank did not confirm the payment; try again or use another card.")


@post("/payments/orders/{number:str}/balance")
async def pay_balance(ctx: RequestContext, number: str) -> Redirect:
    if (redirect := buyer_or_login(ctx)) is not None:
        return redirect
    url = f"{_store(ctx)}/orders/{quote(number)}"
    try:
        await service.pay_with_balance(ctx, number, None)
    except QudaoError as exc:
        return _back(url, error=_msg(exc))
    return _back(url, done="Paid from your prepaid balance.")


@post("/payments/orders/{number:str}/credit")
async def pay_credit(ctx: RequestContext, number: str) -> Redirect:
    if (redirect := buyer_or_login(ctx)) is not None:
        return redirect
    url = f"{_store(ctx)}/orders/{quote(number)}"
    try:
        await service.choose_credit(ctx, number)
    except QudaoError as exc:
        return _back(url, error=_msg(exc))
    return _back(url, done="This order is on your credit terms.")


@get("/payments/balance")
async def my_balance(ctx: RequestContext) -> Response[Any]:
    if (redirect := buyer_or_login(ctx)) is not None:
        return redirect
    if ctx.customer is None:
        raise NotFound("buyers only")
    return render(ctx, "payments/store_balance.html", balance=await balance_view(ctx, ctx.customer, limit=100))


@get("/payments/account")
async def my_account(ctx: RequestContext, request: Request) -> Response[Any]:
    if (redirect := buyer_or_login(ctx)) is not None:
        return redirect
    if ctx.customer is None:
        raise NotFound("buyers only")
    party = service.customer_party(ctx.customer.code)
    acct = await ctx.session.scalar(select(ConnectedAccount).where(ConnectedAccount.party == party))
    if acct is not None:
        try:
            acct = await payouts.refresh_account(ctx, acct)
        except Exception:  # noqa: BLE001
            await ctx.session.rollback()
    flash, kind = _flash(request)
    return render(ctx, "payments/store_account.html", account=payouts.account_view(acct) if acct else None,
                  flash=flash, flash_kind=kind)


@post("/payments/account")
async def my_account_onboard(ctx: RequestContext, request: Request) -> Redirect:
    if (redirect := buyer_or_login(ctx)) is not None:
        return redirect
    if ctx.customer is None:
        raise NotFound("buyers only")
    back = f"{str(request.base_url).rstrip('/')}{_store(ctx)}/account"
    try:
        _, url, _created = await payouts.onboard(ctx, service.customer_party(ctx.customer.code), ctx.customer,
                                                 return_url=back, refresh_url=back)
    except QudaoError as exc:
        return _back(f"{_store(ctx)}/account", error=_msg(exc))
    return Redirect(url)


# --- admin -----------------------------------------------------------------------------------------


@get("/admin/payments")
async def admin_home(ctx: RequestContext, request: Request) -> Response[Any]:
    if (redirect := staff_or_login(ctx)) is not None:
        return redirect
    number = (request.query_params.get("order") or "").strip()
    if number:
        return Redirect(f"{_admin(ctx)}/orders/{quote(number)}")
    payments = (await ctx.session.scalars(select(Payment).order_by(Payment.created_at.desc()).limit(100))).all()
    flash, kind = _flash(request)
    return render(ctx, "payments/admin_home.html", payments=[{**service.payment_view(p), "order": p.order_number}
                                                               for p in payments], flash=flash, flash_kind=kind)


@get("/admin/payments/orders/{number:str}")
async def admin_order(ctx: RequestContext, request: Request, number: str) -> Response[Any]:
    if (redirect := staff_or_login(ctx)) is not None:
        return redirect
    order = await order_for(ctx, number)
    summary = await service.payment_summary(ctx, order)
    settlement = await service.settlement_view(ctx, order)
    flash, kind = _flash(request)
    return render(ctx, "payments/admin_order.html", order=order, pay=summary, settlement=settlement,
                  flash=flash, flash_kind=kind)


@post("/admin/payments/orders/{number:str}/bank-transfer")
async def admin_bank_transfer(ctx: RequestContext, request: Request, number: str) -> Redirect:
    if (redirect := staff_or_login(ctx, FINANCE)) is not None:
        return redirect
    form = await form_data(request)
    url = f"{_admin(ctx)}/orders/{quote(number)}"
    try:
        order = await order_for(ctx, number)
        amount = service.parse_amount(_one(form, "amount"), service.currency_of(ctx, order))
        await service.record_bank_transfer(ctx, number, amount, _one(form, "reference")[:100] or None,
                                           _one(form, "note")[:500] or None)
    except QudaoError as exc:
        return _back(url, error=_msg(exc))
    return _back(url, done="Bank transfer recorded.")


@post("/admin/payments/orders/{number:str}/refund")
async def admin_refund(ctx: RequestContext, request: Request, number: str) -> Redirect:
    if (redirect := staff_or_login(ctx, FINANCE)) is not None:
        return redirect
    form = await form_data(request)
    url = f"{_admin(ctx)}/orders/{quote(number)}"
    try:
        order = await order_for(ctx, number)
        amount = service.parse_amount(_one(form, "amount"), service.currency_of(ctx, order))
        await service.create_refund(ctx, number, amount, _one(form, "reason")[:500] or None)
    except QudaoError as exc:
        return _back(url, error=_msg(exc))
    return _back(url, done="Refund made; the parties' shares are being reversed.")


@get("/admin/payments/settlement")
async def admin_settlement(ctx: RequestContext, request: Request) -> Response[Any]:
    if (redirect := staff_or_login(ctx)) is not None:
        return redirect
    start, end = request.query_params.get("from"), request.query_params.get("to")
    try:
        report = await period_report(ctx, start, end)
        error = None
    except InputError as exc:
        report, error = await period_report(ctx, None, None), _msg(exc)
    return render(ctx, "payments/admin_settlement.html", report=report, flash=error, flash_kind="error")


@get("/admin/payments/reconciliation")
async def admin_reconciliation(ctx: RequestContext, request: Request) -> Response[Any]:
    if (redirect := staff_or_login(ctx)) is not None:
        return redirect
    number = (request.query_params.get("order") or "").strip()
    rows = await payouts.reconcile(ctx, [number] if number else None, limit=100)
    flash, kind = _flash(request)
    return render(ctx, "payments/admin_reconciliation.html", rows=rows,
                  mismatches=sum(1 for r in rows if not r["ok"]), flash=flash, flash_kind=kind)


@post("/admin/payments/reconciliation/sync")
async def admin_sync(ctx: RequestContext) -> Redirect:
    if (redirect := staff_or_login(ctx, FINANCE)) is not None:
        return redirect
    result = await payouts.sync_with_stripe(ctx)
    return _back(f"{_admin(ctx)}/reconciliation",
                 done=f"Checked {result['checked']} open card payment(s), {result['updated']} updated; "
                      f"{result['payouts_queued']} payout(s) queued.")


@get("/admin/payments/rules")
async def admin_rules(ctx: RequestContext, request: Request) -> Response[Any]:
    if (redirect := staff_or_login(ctx)) is not None:
        return redirect
    flash, kind = _flash(request)
    return render(ctx, "payments/admin_rules.html", rule=service.rule_view(await service.current_rule(ctx)),
                  flash=flash, flash_kind=kind)


@post("/admin/payments/rules")
async def admin_rules_save(ctx: RequestContext, request: Request) -> Redirect:
    if (redirect := staff_or_login(ctx, ("admin",))) is not None:
        return redirect
    form = await form_data(request)
    body = {k: _one(form, k) for k in ("brand_percent", "distributor_percent", "sales_rep_percent")
            if _one(form, k) != ""}
    try:
        await service.put_rule(ctx, body)
    except QudaoError as exc:
        return _back(f"{_admin(ctx)}/rules", error=_msg(exc))
    return _back(f"{_admin(ctx)}/rules", done="Split rules saved.")


@get("/admin/payments/accounts")
async def admin_accounts(ctx: RequestContext, request: Request) -> Response[Any]:
    if (redirect := staff_or_login(ctx)) is not None:
        return redirect
    accounts = list((await ctx.session.scalars(select(ConnectedAccount).order_by(ConnectedAccount.party))).all())
    views = []
    for acct in accounts:
        try:
            acct = await payouts.refresh_account(ctx, acct)
        except Exception:  # noqa: BLE001 - show what we know when Stripe does not answer
            await ctx.session.rollback()
        views.append(payouts.account_view(acct))
    distributors = (await ctx.session.scalars(
        select(Customer).where(Customer.id.in_(select(Customer.parent_id).where(Customer.parent_id.is_not(None))))
        .order_by(Customer.code))).all()
    flash, kind = _flash(request)
    return render(ctx, "payments/admin_accounts.html", accounts=views, distributors=distributors,
                  flash=flash, flash_kind=kind)


@post("/admin/payments/accounts")
async def admin_accounts_onboard(ctx: RequestContext, request: Request) -> Redirect:
    if (redirect := staff_or_login(ctx, ("admin",))) is not None:
        return redirect
    form = await form_data(request)
    back = f"{str(request.base_url).rstrip('/')}{_admin(ctx)}/accounts"
    try:
        party, customer = await payouts.resolve_party(ctx, _one(form, "party") or "brand")
        _, url, _created = await payouts.onboard(ctx, party, customer, return_url=back, refresh_url=back,
                                                 email=_one(form, "email")[:200] or None)
    except QudaoError as exc:
        return _back(f"{_admin(ctx)}/accounts", error=_msg(exc))
    return Redirect(url)


@get("/admin/payments/balances")
async def admin_balances(ctx: RequestContext, request: Request) -> Response[Any]:
    if (redirect := staff_or_login(ctx)) is not None:
        return redirect
    from qudao.plugins.payments.models import BalanceAccount

    rows = (await ctx.session.execute(select(BalanceAccount, Customer).join(
        Customer, Customer.id == BalanceAccount.customer_id).order_by(Customer.code))).all()
    balances = [{"customer": c.code, "name": c.name, "balance": service.money(a.balance_minor, a.currency)}
                for a, c in rows]
    customers = (await ctx.session.scalars(select(Customer).order_by(Customer.code).limit(2000))).all()
    flash, kind = _flash(request)
    return render(ctx, "payments/admin_balances.html", balances=balances, customers=customers,
                  flash=flash, flash_kind=kind)


@post("/admin/payments/balances")
async def admin_topup(ctx: RequestContext, request: Request) -> Redirect:
    if (redirect := staff_or_login(ctx, FINANCE)) is not None:
        return redirect
    form = await form_data(request)
    url = f"{_admin(ctx)}/balances"
    code = _one(form, "customer")
    try:
        customer = await ctx.session.scalar(select(Customer).where(Customer.code == code))
        if customer is None:
            raise InputError(f"no customer '{code}'", field="customer")
        amount = service.parse_amount(_one(form, "amount"), service.currency_of(ctx))
        await service.topup(ctx, customer, amount, _one(form, "reference")[:100] or None,
                            _one(form, "note")[:500] or None)
    except QudaoError as exc:
        return _back(url, error=_msg(exc))
    return _back(url, done=f"Topped up {code}.")


HANDLERS = [my_orders, pay_page, pay_card, pay_card_authenticate, pay_balance, pay_credit, my_balance, my_account,
            my_account_onboard, admin_home, admin_order, admin_bank_transfer, admin_refund, admin_settlement,
            admin_reconciliation, admin_sync, admin_rules, admin_rules_save, admin_accounts, admin_accounts_onboard,
            admin_balances, admin_topup]
