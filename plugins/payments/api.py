"""Payments API under ``/t/{slug}/api/v1`` (404 while the plugin is off for the tenant).

| call | who | body → answer |
|---|---|---|
| ``POST /orders/{number}/payments`` | buyer: ``{method: "card"}`` → 201 ``{payment, client_secret, payment_intent}``; ``{method: "balance", amount?}`` → 201; ``{method: "credit"}`` → 200 (pay later); staff: ``{method: "bank_transfer", amount, reference?, note?}`` → 201 |
| ``POST /orders/{number}/payments/{id}/confirm`` | the buyer | ``{payment_method}`` → server-side confirmation (test mode) |
| ``GET /orders/{number}/payment`` | staff, its buyer | → ``{status: paid|partly_paid|unpaid, total, paid, outstanding, refunded, refundable, payments, refunds}`` |
| ``POST /orders/{number}/refunds`` | staff (finance) | ``{amount, reason?}`` → 201 ``{refunds, payment}`` |
| ``POST /balance/{customer}/topups`` | staff (finance) | ``{amount, reference?, note?}`` → 201 ``{customer, balance}`` |
| ``GET /balance/{customer}`` | staff, that customer's buyers | → ``{customer, balance, currency, entries}`` |
| ``GET/PUT /settlement/rules`` | admin (PUT) | ``{brand_percent, distributor_percent?, sales_rep_percent?}`` + the platform's fee = 100 % |
| ``GET /settlement/orders/{number}`` | staff | → ``{charged, refunded, settled, lines: [{party, role, amount, status, transfer, …}]}`` |
| ``GET /settlement/report?from=&to=`` | staff | → per party: earned, received, pending, kept, offline |
| ``GET /settlement/reconciliation`` | staff | → per order: ok / issues (ledger vs Stripe) |
| ``POST /settlement/sync`` | staff (finance) | re-fetch open card payments (missed webhooks), queue pending payouts |
| ``PUT /settlement/accounts/{party}`` | admin (any party), a distributor's buyer (its own) | ``{return_url?, refresh_url?, email?}`` → ``{party, account, status, url}`` |
| ``GET /settlement/accounts`` | staff | → connected accounts, statuses re-fetched |
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post, put
from sqlalchemy import select

from qudao.core.customers.models import Customer
from qudao.core.errors import Forbidden, InputError, NotFound
from qudao.core.orders.service import order_for
from qudao.plugins.payments import (
    accounts,
    balance,
    charges,
    common,
    offline,
    reconcile,
    refunds,
    settlement,
    split_rules,
    summary,
)
from qudao.plugins.payments.models import (
    BALANCE,
    BANK_TRANSFER,
    CARD,
    CREDIT,
    METHODS,
    BalanceEntry,
    SettlementLine,
)
from qudao.web.api.common import json_body, upserted
from qudao.web.context import RequestContext, require_admin, require_buyer, require_staff, require_user

FINANCE = ("finance",)


def _text(data: dict[str, Any], key: str, max_len: int) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > max_len or "\x00" in value:
        raise InputError(f"must be text of at most {max_len} characters", field=key)
    return value.strip() or None


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# --- paying ------------------------------------------------------------------------------------


@post("/orders/{number:str}/payments", tags=["payments"])
async def create_payment(request: Request, ctx: RequestContext, number: str) -> Response[Any]:
    require_user(ctx)
    data = await json_body(request)
    method = data.get("method")
    if method not in METHODS:
        raise InputError(f"must be one of {', '.join(METHODS)}", field="method")
    if method == BANK_TRANSFER:
        require_staff(ctx, FINANCE)
        order = await order_for(ctx, number)
        amount = common.parse_amount(data.get("amount"), common.currency_of(ctx, order))
        payment = await offline.record_bank_transfer(ctx, number, amount, _text(data, "reference", 100),
                                                     _text(data, "note", 500))
        order = await order_for(ctx, number)
        return Response({"payment": summary.payment_view(payment), **await summary.payment_summary(ctx, order)},
                        status_code=201)
    await order_for(ctx, number)
    require_buyer(ctx)
    if method == CARD:
        payment = await charges.create_card_payment(ctx, number)
        return Response({"payment": summary.payment_view(payment), "client_secret": payment.client_secret,
                         "payment_intent": payment.payment_intent_id}, status_code=201)
    if method == BALANCE:
        order = await order_for(ctx, number)
        raw = data.get("amount")
        amount = None if raw in (None, "") else common.parse_amount(raw, common.currency_of(ctx, order))
        payment = await balance.pay_with_balance(ctx, number, amount)
        order = await order_for(ctx, number)
        return Response({"payment": summary.payment_view(payment), **await summary.payment_summary(ctx, order)},
                        status_code=201)
    assert method == CREDIT
    order = await offline.choose_credit(ctx, number)
    return Response(await summary.payment_summary(ctx, order), status_code=200)


def _payment_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 19:
        raise NotFound("no such payment")
    return int(raw)


@post("/orders/{number:str}/payments/{payment_id:str}/confirm", status_code=200, tags=["payments"])
async def confirm_payment(request: Request, ctx: RequestContext, number: str, payment_id: str) -> dict[str, Any]:
    """Confirm a card payment server-side: ``{payment_method}`` or, in test mode, ``{card_number}``."""
    require_user(ctx)
    await order_for(ctx, number)  # 404 first: another tenant's or customer's order does not exist here
    require_buyer(ctx)
    data = await json_body(request)
    pm = _text(data, "payment_method", 100)
    card = _text(data, "card_number", 19)
    if pm is None and card is None:
        raise InputError("is required (e.g. pm_card_visa, or a test card_number)", field="payment_method")
    payment, pi = await charges.confirm_card_payment(ctx, number, _payment_id(payment_id), pm, card)
    return await _payment_answer(ctx, number, payment, pi)


@post("/orders/{number:str}/payments/{payment_id:str}/authenticate", status_code=200, tags=["payments"])
async def authenticate_payment(request: Request, ctx: RequestContext, number: str, payment_id: str) -> dict[str, Any]:
    """Test double only: pass (``{success: true}``) or fail the 3-D Secure step."""
    require_user(ctx)
    await order_for(ctx, number)
    require_buyer(ctx)
    data = await json_body(request)
    payment = await charges.authenticate_test_payment(ctx, number, _payment_id(payment_id),
                                                      data.get("success", True) is True)
    return await _payment_answer(ctx, number, payment, None)


async def _payment_answer(ctx: RequestContext, number: str, payment: Any, pi: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"payment": summary.payment_view(payment)}
    next_action = getattr(pi, "next_action", None) if pi is not None else None
    if next_action:
        out["next_action"] = next_action.to_dict() if hasattr(next_action, "to_dict") else next_action
    order = await order_for(ctx, number)
    out.update(await summary.payment_summary(ctx, order))
    return out


@get("/orders/{number:str}/payment", tags=["payments"])
async def get_payment(ctx: RequestContext, number: str) -> dict[str, Any]:
    require_user(ctx)
    order = await order_for(ctx, number)
    return await summary.payment_summary(ctx, order)


@post("/orders/{number:str}/refunds", tags=["payments"])
async def create_refund(request: Request, ctx: RequestContext, number: str) -> Response[Any]:
    require_staff(ctx, FINANCE)
    data = await json_body(request)
    order = await order_for(ctx, number)
    amount = common.parse_amount(data.get("amount"), common.currency_of(ctx, order))
    made = await refunds.create_refund(ctx, number, amount, _text(data, "reason", 500))
    order = await order_for(ctx, number)
    return Response({"refunds": [summary.refund_view(r) for r in made],
                     "payment": await summary.payment_summary(ctx, order)}, status_code=201)


# --- prepaid balance -------------------------------------------------------------------------------


async def _customer(ctx: RequestContext, code: str) -> Customer:
    customer = await ctx.session.scalar(select(Customer).where(Customer.code == code))
    if customer is None:
        raise NotFound(f"no customer '{code}'")
    if not ctx.is_staff and (ctx.customer is None or ctx.customer.id != customer.id):
        raise NotFound(f"no customer '{code}'")
    return customer


async def balance_view(ctx: RequestContext, customer: Customer, limit: int = 50) -> dict[str, Any]:
    account = await balance.balance_account(ctx, customer)
    cur = account.currency if account else common.currency_of(ctx)
    entries = []
    if account is not None:
        rows = (await ctx.session.scalars(select(BalanceEntry).where(BalanceEntry.account_id == account.id)
                                          .order_by(BalanceEntry.created_at.desc(), BalanceEntry.id.desc())
                                          .limit(limit))).all()
        entries = [{"kind": e.kind, "amount": common.money(e.amount_minor, cur),
                    "balance": common.money(e.balance_after_minor, cur), "order": e.order_number,
                    "reference": e.reference, "note": e.note, "at": e.created_at.isoformat()} for e in rows]
    return {"customer": customer.code, "currency": cur,
            "balance": common.money(account.balance_minor if account else 0, cur), "entries": entries}


@post("/balance/{customer:str}/topups", tags=["payments"])
async def topup(request: Request, ctx: RequestContext, customer: str) -> Response[Any]:
    require_staff(ctx, FINANCE)
    data = await json_body(request)
    found = await _customer(ctx, customer)
    amount = common.parse_amount(data.get("amount"), common.currency_of(ctx))
    await balance.topup(ctx, found, amount, _text(data, "reference", 100), _text(data, "note", 500))
    return Response(await balance_view(ctx, found), status_code=201)


@get("/balance/{customer:str}", tags=["payments"])
async def get_balance(ctx: RequestContext, customer: str) -> dict[str, Any]:
    require_user(ctx)
    return await balance_view(ctx, await _customer(ctx, customer))


# --- settlement --------------------------------------------------------------------------------------


@get("/settlement/rules", tags=["payments"])
async def get_rules(ctx: RequestContext) -> dict[str, Any]:
    require_staff(ctx)
    return split_rules.rule_view(await split_rules.current_rule(ctx))


@put("/settlement/rules", tags=["payments"])
async def put_rules(request: Request, ctx: RequestContext) -> Response[Any]:
    require_admin(ctx)
    data = await json_body(request)
    rule, created = await split_rules.put_rule(ctx, data)
    return upserted(split_rules.rule_view(rule), created)


@get("/settlement/orders/{number:str}", tags=["payments"])
async def get_settlement(ctx: RequestContext, number: str) -> dict[str, Any]:
    require_staff(ctx)
    order = await order_for(ctx, number)
    return await settlement.settlement_view(ctx, order)


def parse_period(ctx: RequestContext, start: str | None, end: str | None) -> tuple[datetime, datetime, date, date]:
    """``from``/``to`` dates (inclusive) in the tenant's time zone; default: this month so far."""
    try:
        tz = ZoneInfo(ctx.tenant.timezone or "Asia/Shanghai")
    except Exception:  # noqa: BLE001
        tz = ZoneInfo("Asia/Shanghai")
    today = datetime.now(tz).date()
    errors = []
    try:
        first = date.fromisoformat(start) if start else today.replace(day=1)
    except ValueError:
        errors.append({"field": "from", "message": "must be a date as YYYY-MM-DD"})
        first = today
    try:
        last = date.fromisoformat(end) if end else today
    except ValueError:
        errors.append({"field": "to", "message": "must be a date as YYYY-MM-DD"})
        last = today
    if not errors and last < first:
        errors.append({"field": "to", "message": "must not be before from"})
    if errors:
        raise InputError(errors)
    return (datetime.combine(first, time.min, tz), datetime.combine(last + timedelta(days=1), time.min, tz),
            first, last)


async def period_report(ctx: RequestContext, start: str | None, end: str | None) -> dict[str, Any]:
    lo, hi, first, last = parse_period(ctx, start, end)
    lines = list((await ctx.session.scalars(
        select(SettlementLine).where(SettlementLine.created_at >= lo, SettlementLine.created_at < hi)
        .order_by(SettlementLine.created_at))).all())
    orders = sorted({ln.order_number for ln in lines})
    cur = lines[0].currency if lines else common.currency_of(ctx)
    charged = sum(ln.amount_minor for ln in lines if ln.role != "sales_rep")
    reversed_ = sum(ln.reversed_minor for ln in lines if ln.role != "sales_rep")
    return {"from": first.isoformat(), "to": last.isoformat(), "orders": len(orders), "currency": cur,
            "charged": common.money(charged, cur), "refunded": common.money(reversed_, cur),
            "parties": reconcile.party_totals(lines)}


@get("/settlement/report", tags=["payments"])
async def get_report(ctx: RequestContext, request: Request) -> dict[str, Any]:
    require_staff(ctx)
    return await period_report(ctx, request.query_params.get("from"), request.query_params.get("to"))


@get("/settlement/reconciliation", tags=["payments"])
async def get_reconciliation(ctx: RequestContext, request: Request) -> dict[str, Any]:
    require_staff(ctx)
    number = request.query_params.get("order")
    rows = await reconcile.reconcile(ctx, [number] if number else None)
    return {"orders": rows, "mismatches": sum(1 for r in rows if not r["ok"])}


@post("/settlement/sync", status_code=200, tags=["payments"])
async def post_sync(ctx: RequestContext) -> dict[str, Any]:
    """Re-fetch open card payments from Stripe (missed webhooks) and queue pending payouts."""
    require_staff(ctx, FINANCE)
    return await reconcile.sync_with_stripe(ctx)


@put("/settlement/accounts/{party:str}", tags=["payments"])
async def put_account(request: Request, ctx: RequestContext, party: str) -> Response[Any]:
    require_user(ctx)
    raw = await request.body()
    data = await json_body(request) if raw.strip() else {}
    key, customer = await accounts.resolve_party(ctx, party)
    if ctx.is_staff:
        require_admin(ctx)
    elif customer is None or ctx.customer is None or ctx.customer.id != customer.id:
        raise Forbidden("a buyer can only onboard its own company's account") if customer is not None \
            else Forbidden("only the brand's admins onboard the brand's account")
    base = _base_url(request)
    back = (f"{base}/t/{ctx.tenant.slug}/admin/payments/accounts" if ctx.is_staff
            else f"{base}/t/{ctx.tenant.slug}/payments/account")
    return_url = _text(data, "return_url", 500) or back
    refresh_url = _text(data, "refresh_url", 500) or back
    for name, url in (("return_url", return_url), ("refresh_url", refresh_url)):
        if not url.startswith(("http://", "https://")):
            raise InputError("must be an http(s) URL", field=name)
    acct, url, created = await accounts.onboard(ctx, key, customer, return_url=return_url, refresh_url=refresh_url,
                                               email=_text(data, "email", 200))
    return upserted(accounts.account_view(acct, url), created)


@get("/settlement/accounts", tags=["payments"])
async def list_accounts(ctx: RequestContext) -> dict[str, Any]:
    require_staff(ctx)
    return {"items": await accounts.refreshed_views(ctx)}


HANDLERS = [create_payment, confirm_payment, authenticate_payment, get_payment, create_refund, topup, get_balance, get_rules, put_rules,
            get_settlement, get_report, get_reconciliation, post_sync, put_account, list_accounts]
