"""Payments: paying orders (card, balance, bank transfer), refunds, and turning paid orders
into settlement lines.

Serialisation: every change of an order's payments first locks the order row
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite runs one writer at a time under
``BEGIN IMMEDIATE``), then changes payment rows with conditional UPDATEs, so a duplicate
webhook, a double-clicked button or a job delivered twice records a payment once.

No database transaction is held open across a Stripe call: rows are committed first
(e.g. a payment row in ``creating``), the call is made with a deterministic idempotency
key, and the answer is applied in a new transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import stripe
import structlog
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from qudao.core.customers.models import Customer
from qudao.core.errors import Conflict, InputError, NotFound, Refused
from qudao.core.orders.models import Order
from qudao.core.plugin_api import enqueue_after_commit, fmt, gather_hook, utcnow
from qudao.plugins.payments import stripe_client as sc
from qudao.plugins.payments.models import (
    BALANCE,
    BANK_TRANSFER,
    BRAND,
    CARD,
    CREDIT,
    DISTRIBUTOR,
    L_KEPT,
    L_OFFLINE,
    L_PENDING,
    L_RECORDED,
    P_CREATING,
    P_FAILED,
    P_PENDING,
    P_SUCCEEDED,
    PAY,
    PAYMENT_OPEN,
    PLATFORM,
    R_FAILED,
    R_PENDING,
    R_SUCCEEDED,
    REFUND,
    SALES_REP,
    TOPUP,
    BalanceAccount,
    BalanceEntry,
    Payment,
    Refund,
    SettlementLine,
    SplitRule,
    from_minor,
    to_minor,
)

log = structlog.get_logger("qudao.payments")
PLUGIN = "payments"
CLOSED_ORDER_STATUSES = ("cancelled", "rejected")
HUNDRED = Decimal(100)


# --- small helpers -------------------------------------------------------------


def currency_of(ctx: Any, order: Order | None = None) -> str:
    return (order.currency if order is not None else None) or ctx.tenant.currency or "CNY"


def money(minor: int, currency: str) -> str:
    return fmt(from_minor(minor, currency), currency)


def method_enabled(ctx: Any, method: str) -> bool:
    settings = ctx.settings(PLUGIN) if hasattr(ctx, "settings") else {}
    value = settings.get(f"method_{method}", True)
    return bool(value) if value is not None else True


def enabled_methods(ctx: Any) -> list[str]:
    out = [m for m in (CARD, BALANCE, BANK_TRANSFER) if method_enabled(ctx, m)]
    if method_enabled(ctx, CREDIT) and ctx.is_enabled("credit"):
        out.append(CREDIT)
    return out


def transfer_group(tenant_id: int, number: str) -> str:
    return f"order:{tenant_id}:{number}"


def transfer_key(tenant_id: int, number: str, party: str) -> str:
    return f"order:{tenant_id}:{number}:transfer:{party}"


def user_id(ctx: Any) -> int | None:
    user = getattr(ctx, "user", None)
    return user.id if user is not None else None


def parse_amount(value: Any, currency: str, field: str = "amount") -> int:
    """A positive decimal amount (string) -> minor units; InputError otherwise."""
    if value is None or value == "":
        raise InputError("is required", field=field)
    try:
        from qudao.core.plugin_api import parse_money

        amount = parse_money(value, currency)
    except ValueError as exc:
        raise InputError(str(exc), field=field) from None
    if amount <= 0:
        raise InputError("must be greater than zero", field=field)
    return to_minor(amount, currency)


async def lock_order(ctx: Any, number: str, *, buyer_only: bool = False) -> Order:
    """The order (staff: any of the tenant's; a buyer: only its customer's), row-locked."""
    stmt = select(Order).where(Order.number == number)
    if buyer_only or not ctx.is_staff:
        if ctx.customer is None:
            raise NotFound(f"no order '{number}'")
        stmt = stmt.where(Order.customer_id == ctx.customer.id)
    order = await ctx.session.scalar(stmt.with_for_update().execution_options(populate_existing=True))
    if order is None:
        raise NotFound(f"no order '{number}'")
    return order


async def relock(ctx: Any, order_id: int) -> Order:
    order = await ctx.session.scalar(select(Order).where(Order.id == order_id).with_for_update()
                                     .execution_options(populate_existing=True))
    if order is None:
        raise NotFound("the order is gone")
    return order


async def succeeded_payments(ctx: Any, order_id: int) -> list[Payment]:
    return list((await ctx.session.scalars(
        select(Payment).where(Payment.order_id == order_id, Payment.status == P_SUCCEEDED)
        .order_by(Payment.created_at, Payment.id).execution_options(populate_existing=True))).all())


@dataclass
class Standing:
    total_minor: int
    paid_minor: int
    refunded_minor: int
    currency: str

    @property
    def outstanding_minor(self) -> int:
        return max(self.total_minor - self.paid_minor, 0)

    @property
    def refundable_minor(self) -> int:
        return self.paid_minor - self.refunded_minor

    @property
    def status(self) -> str:
        if self.total_minor == 0 or self.paid_minor >= self.total_minor:
            return "paid"
        return "partly_paid" if self.paid_minor > 0 else "unpaid"

    @property
    def refund_status(self) -> str:
        if self.refunded_minor <= 0:
            return "none"
        return "full" if self.refunded_minor >= self.paid_minor else "partial"


async def standing(ctx: Any, order: Order) -> Standing:
    row = (await ctx.session.execute(
        select(func.coalesce(func.sum(Payment.amount_minor), 0), func.coalesce(func.sum(Payment.refunded_minor), 0))
        .where(Payment.order_id == order.id, Payment.status == P_SUCCEEDED))).one()
    refunded = (await ctx.session.scalar(
        select(func.coalesce(func.sum(Refund.amount_minor), 0))
        .where(Refund.order_id == order.id, Refund.status.in_((R_SUCCEEDED, R_PENDING))))) or 0
    cur = currency_of(ctx, order)
    return Standing(total_minor=to_minor(order.total, cur), paid_minor=int(row[0] or 0),
                    refunded_minor=max(int(refunded), 0), currency=cur)


def payment_view(p: Payment) -> dict[str, Any]:
    return {
        "id": str(p.id), "method": p.method, "amount": money(p.amount_minor, p.currency),
        "refunded": money(p.refunded_minor, p.currency), "currency": p.currency, "status": p.status,
        "stripe_status": p.stripe_status, "payment_intent": p.payment_intent_id, "charge": p.charge_id,
        "reference": p.reference, "failure": p.failure, "created_at": p.created_at.isoformat(),
        "succeeded_at": p.succeeded_at.isoformat() if p.succeeded_at else None,
    }


def refund_view(r: Refund) -> dict[str, Any]:
    return {
        "id": str(r.id), "payment": str(r.payment_id), "method": r.method,
        "amount": money(r.amount_minor, r.currency), "status": r.status, "stripe_refund": r.stripe_refund_id,
        "reason": r.reason, "failure": r.failure, "created_at": r.created_at.isoformat(),
    }


async def payment_summary(ctx: Any, order: Order) -> dict[str, Any]:
    st = await standing(ctx, order)
    payments = (await ctx.session.scalars(select(Payment).where(Payment.order_id == order.id)
                                          .order_by(Payment.created_at, Payment.id))).all()
    refunds = (await ctx.session.scalars(select(Refund).where(Refund.order_id == order.id)
                                         .order_by(Refund.created_at, Refund.id))).all()
    cur = st.currency
    return {
        "number": order.number, "status": st.status, "refund_status": st.refund_status, "currency": cur,
        "total": money(st.total_minor, cur), "paid": money(st.paid_minor, cur),
        "refunded": money(st.refunded_minor, cur), "outstanding": money(st.outstanding_minor, cur),
        "refundable": money(st.refundable_minor, cur),
        "payment_terms": (order.extra or {}).get("payment_terms"),
        "methods": enabled_methods(ctx),
        "payments": [payment_view(p) for p in payments], "refunds": [refund_view(r) for r in refunds],
    }


def _check_payable(order: Order) -> None:
    if order.status in CLOSED_ORDER_STATUSES:
        raise Conflict(f"an order that is {order.status} cannot be paid")


# --- recording success ---------------------------------------------------------------


async def mark_succeeded(ctx: Any, order: Order, payment: Payment, *, charge_id: str | None = None,
                         stripe_status: str | None = None) -> bool:
    """Move one payment to succeeded (once), then settle the order if it is now fully paid.

    The caller holds the order lock and commits. Returns False when it already was.
    """
    before = await standing(ctx, order)
    values: dict[str, Any] = {"status": P_SUCCEEDED, "succeeded_at": utcnow(), "failure": None}
    if charge_id:
        values["charge_id"] = charge_id
    if stripe_status:
        values["stripe_status"] = stripe_status
    result = await ctx.session.execute(
        update(Payment).where(Payment.id == payment.id, Payment.status != P_SUCCEEDED).values(**values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    for key, value in values.items():
        setattr(payment, key, value)
    after = await standing(ctx, order)
    order.paid_amount = from_minor(after.paid_minor, after.currency)
    if before.status != "paid" and after.status == "paid":
        await gather_hook(ctx.hooks.qudao_order_paid, ctx=ctx, order=order)
        await create_settlement(ctx, order)
    return True


# --- card (Stripe PaymentIntents) ------------------------------------------------------


def _pi_status(pi: Any) -> str:
    status = pi.get("status") if isinstance(pi, dict) else getattr(pi, "status", None)
    if status == "succeeded":
        return P_SUCCEEDED
    if status == "canceled":
        return P_FAILED
    return P_PENDING


def _pi_failure(pi: Any) -> str | None:
    err = pi.get("last_payment_error") if isinstance(pi, dict) else getattr(pi, "last_payment_error", None)
    if not err:
        return None
    message = err.get("message") if isinstance(err, dict) else getattr(err, "message", None)
    return (message or "the card was declined")[:500]


async def create_card_payment(ctx: Any, number: str) -> Payment:
    """Create (or reuse) the PaymentIntent for what the buyer still owes."""
    order = await lock_order(ctx, number, buyer_only=True)
    _check_payable(order)
    if not method_enabled(ctx, CARD):
        raise InputError("card payments are off for this brand", field="method")
    st = await standing(ctx, order)
    if st.outstanding_minor <= 0:
        raise Conflict("this order is already paid")
    cur = st.currency
    # Reuse the open attempt for the same amount: a pending PaymentIntent, or a row whose
    # PaymentIntent creation failed or lost its answer (retried with the same idempotency key).
    reusable = await ctx.session.scalar(
        select(Payment).where(Payment.order_id == order.id, Payment.method == CARD,
                              Payment.status.in_(PAYMENT_OPEN), Payment.amount_minor == st.outstanding_minor)
        .order_by(Payment.created_at.desc()))
    if reusable is not None:
        await ctx.session.commit()
        if reusable.payment_intent_id is None:
            return await ensure_payment_intent(ctx, reusable, order)
        return reusable
    payment = Payment(order_id=order.id, order_number=order.number, method=CARD, amount_minor=st.outstanding_minor,
                      currency=cur, status=P_CREATING, created_by=user_id(ctx))
    ctx.session.add(payment)
    await ctx.session.commit()  # the row exists before Stripe is called; its id makes the idempotency key
    return await ensure_payment_intent(ctx, payment, order)


async def ensure_payment_intent(ctx: Any, payment: Payment, order: Order) -> Payment:
    params = {
        "amount": payment.amount_minor,
        "currency": payment.currency.lower(),
        "transfer_group": transfer_group(ctx.tenant.id, order.number),
        "metadata": {"tenant_id": str(ctx.tenant.id), "order_number": order.number, "payment_id": str(payment.id)},
    }
    client = sc.client("payments")
    try:
        pi = await sc.call(lambda: client.v1.payment_intents.create(
            params, options={"idempotency_key": f"payment:{ctx.tenant.id}:{payment.id}"}))
    except stripe.StripeError as exc:
        log.warning("payment_intent_failed", order=order.number, error=str(exc))
        raise sc.ProviderUnavailable(f"the card payment could not be started: {exc.user_message or exc}") from None
    await ctx.session.execute(
        update(Payment).where(Payment.id == payment.id, Payment.status == P_CREATING)
        .values(payment_intent_id=pi.id, client_secret=pi.client_secret, status=P_PENDING, stripe_status=pi.status)
        .execution_options(synchronize_session=False))
    await ctx.session.commit()
    payment.payment_intent_id, payment.client_secret = pi.id, pi.client_secret
    payment.status, payment.stripe_status = P_PENDING, pi.status
    return payment


TEST_CARDS = {
    "4242424242424242": "succeeds",
    "4000002760003184": "needs 3-D Secure authentication",
}


async def confirm_card_payment(ctx: Any, number: str, payment_id: int, payment_method: str | None,
                               card_number: str | None = None) -> tuple[Payment, Any]:
    """Server-side confirmation (the storefront's flow against the test double / Stripe test mode).

    With real Stripe the browser confirms with Stripe.js and the client_secret; either way the
    outcome is applied from the re-fetched PaymentIntent, exactly as the webhook does. The
    payment method is attached with an update and then confirmed (localstripe does not take
    ``payment_method`` on confirm; Stripe accepts both). A test ``card_number`` is turned into a
    PaymentMethod first (test mode only).
    """
    order = await lock_order(ctx, number, buyer_only=not ctx.is_staff)
    payment = await ctx.session.scalar(select(Payment).where(Payment.id == payment_id, Payment.order_id == order.id,
                                                             Payment.method == CARD))
    if payment is None or payment.payment_intent_id is None:
        raise NotFound("no such card payment")
    await ctx.session.commit()
    if payment.status == P_SUCCEEDED:
        return payment, None
    client = sc.client("payments")
    pi_id = payment.payment_intent_id
    try:
        if card_number:
            if not sc.api_base("payments"):
                raise InputError("card numbers are only taken in test mode; use Stripe.js", field="card_number")
            pm = await sc.call(lambda: client.v1.payment_methods.create({
                "type": "card", "card": {"number": card_number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}))
            payment_method = pm.id
        current = await sc.call(lambda: client.v1.payment_intents.retrieve(pi_id))
        if current.status in ("requires_payment_method", "requires_confirmation"):
            await sc.call(lambda: client.v1.payment_intents.update(pi_id, {"payment_method": payment_method}))
            pi = await sc.call(lambda: client.v1.payment_intents.confirm(pi_id))
        else:
            pi = current
    except stripe.CardError as exc:
        pi = await sc.call(lambda: client.v1.payment_intents.retrieve(pi_id))
        await apply_payment_intent(ctx, pi)
        raise Refused([{"code": "card_declined", "message": exc.user_message or "The card was declined."}]) from None
    except stripe.InvalidRequestError as exc:
        raise InputError(str(exc.user_message or exc), field="payment_method") from None
    except stripe.StripeError as exc:
        raise sc.ProviderUnavailable(f"the card payment could not be confirmed: {exc.user_message or exc}") from None
    payment = await apply_payment_intent(ctx, pi) or payment
    return payment, pi


async def authenticate_test_payment(ctx: Any, number: str, payment_id: int, success: bool) -> Payment:
    """Test double only: complete (or fail) the 3-D Secure step the way the bank's page would."""
    if not sc.api_base("payments"):
        raise NotFound("3-D Secure is completed in the browser with Stripe.js")
    order = await lock_order(ctx, number, buyer_only=not ctx.is_staff)
    payment = await ctx.session.scalar(select(Payment).where(Payment.id == payment_id, Payment.order_id == order.id,
                                                             Payment.method == CARD))
    if payment is None or payment.payment_intent_id is None:
        raise NotFound("no such card payment")
    await ctx.session.commit()
    client = sc.client("payments")
    pi_id, secret = payment.payment_intent_id, payment.client_secret
    try:
        await sc.call(lambda: client.raw_request("post", f"/v1/payment_intents/{pi_id}/_authenticate",
                                                 client_secret=secret, success="true" if success else "false"))
        pi = await sc.call(lambda: client.v1.payment_intents.retrieve(pi_id))
    except stripe.StripeError as exc:
        raise sc.ProviderUnavailable(f"the authentication could not be completed: {exc}") from None
    return await apply_payment_intent(ctx, pi) or payment


async def refresh_card_payment(ctx: Any, payment: Payment) -> Payment:
    """Re-fetch a pending card payment's PaymentIntent and apply it (return pages, reconciliation)."""
    if payment.payment_intent_id is None or payment.status not in PAYMENT_OPEN:
        return payment
    client = sc.client("payments")
    pi = await sc.call(lambda: client.v1.payment_intents.retrieve(payment.payment_intent_id))
    return await apply_payment_intent(ctx, pi) or payment


async def apply_payment_intent(ctx: Any, pi: Any) -> Payment | None:
    """Apply a (re-fetched) PaymentIntent to its payment row; safe to repeat, any order."""
    await ctx.session.commit()  # start from a fresh transaction (the lock is taken below)
    payment = await ctx.session.scalar(select(Payment).where(Payment.payment_intent_id == pi.id))
    if payment is None:
        metadata = sc.as_dict(getattr(pi, "metadata", None))
        pid = metadata.get("payment_id")
        if pid and str(pid).isdigit():
            payment = await ctx.session.scalar(select(Payment).where(Payment.id == int(pid), Payment.method == CARD))
        if payment is None:
            return None
        await ctx.session.execute(update(Payment).where(Payment.id == payment.id, Payment.payment_intent_id.is_(None))
                                  .values(payment_intent_id=pi.id).execution_options(synchronize_session=False))
    order = await relock(ctx, payment.order_id)
    payment = await ctx.session.scalar(select(Payment).where(Payment.id == payment.id)
                                       .execution_options(populate_existing=True))
    assert payment is not None
    status = _pi_status(pi)
    if status == P_SUCCEEDED:
        if int(getattr(pi, "amount_received", None) or pi.amount) != payment.amount_minor:
            log.warning("payment_amount_mismatch", payment=payment.id, pi=pi.id)
        await mark_succeeded(ctx, order, payment, charge_id=sc.ident(getattr(pi, "latest_charge", None)),
                             stripe_status=pi.status)
    elif payment.status != P_SUCCEEDED:
        await ctx.session.execute(
            update(Payment).where(Payment.id == payment.id, Payment.status != P_SUCCEEDED)
            .values(status=status, stripe_status=pi.status, failure=_pi_failure(pi))
            .execution_options(synchronize_session=False))
    await ctx.session.commit()
    return await ctx.session.scalar(select(Payment).where(Payment.id == payment.id)
                                    .execution_options(populate_existing=True))


# --- balance and bank transfer -------------------------------------------------------------


async def balance_account(ctx: Any, customer: Customer, *, create: bool = False) -> BalanceAccount | None:
    account = await ctx.session.scalar(select(BalanceAccount).where(BalanceAccount.customer_id == customer.id)
                                       .execution_options(populate_existing=True))
    if account is None and create:
        account = BalanceAccount(customer_id=customer.id, currency=currency_of(ctx), balance_minor=0)
        ctx.session.add(account)
        await ctx.session.flush()
    return account


async def _balance_change(ctx: Any, account: BalanceAccount, delta: int, kind: str, *, order_number: str | None = None,
                          reference: str | None = None, note: str | None = None) -> int | None:
    """One conditional UPDATE; returns the new balance or None if it would go below zero."""
    stmt = (update(BalanceAccount).where(BalanceAccount.id == account.id)
            .values(balance_minor=BalanceAccount.balance_minor + delta)
            .execution_options(synchronize_session=False))
    if delta < 0:
        stmt = stmt.where(BalanceAccount.balance_minor >= -delta)
    if (await ctx.session.execute(stmt)).rowcount != 1:
        return None
    after = int(await ctx.session.scalar(select(BalanceAccount.balance_minor).where(BalanceAccount.id == account.id)))
    ctx.session.add(BalanceEntry(account_id=account.id, kind=kind, amount_minor=delta, balance_after_minor=after,
                                 order_number=order_number, reference=reference, note=note, created_by=user_id(ctx)))
    account.balance_minor = after
    return after


async def topup(ctx: Any, customer: Customer, amount_minor: int, reference: str | None, note: str | None) -> int:
    account = await balance_account(ctx, customer, create=True)
    assert account is not None
    after = await _balance_change(ctx, account, amount_minor, TOPUP, reference=reference, note=note)
    assert after is not None
    await ctx.session.commit()
    return after


async def pay_with_balance(ctx: Any, number: str, amount_minor: int | None) -> Payment:
    order = await lock_order(ctx, number, buyer_only=True)
    _check_payable(order)
    if not method_enabled(ctx, BALANCE):
        raise InputError("prepaid balance payments are off for this brand", field="method")
    st = await standing(ctx, order)
    if st.outstanding_minor <= 0:
        raise Conflict("this order is already paid")
    amount = st.outstanding_minor if amount_minor is None else amount_minor
    if amount > st.outstanding_minor:
        raise InputError(f"must be at most the {money(st.outstanding_minor, st.currency)} still owed", field="amount")
    customer = ctx.customer
    account = await balance_account(ctx, customer)
    have = account.balance_minor if account else 0
    if account is None or await _balance_change(ctx, account, -amount, PAY, order_number=order.number) is None:
        await ctx.session.rollback()
        raise Refused([{"code": "insufficient_balance",
                        "message": f"The prepaid balance ({money(have, st.currency)}) does not cover "
                                   f"{money(amount, st.currency)}; top up first."}])
    payment = Payment(order_id=order.id, order_number=order.number, method=BALANCE, amount_minor=amount,
                      currency=st.currency, status=P_PENDING, created_by=user_id(ctx))
    ctx.session.add(payment)
    await ctx.session.flush()
    await mark_succeeded(ctx, order, payment)
    await ctx.session.commit()
    return payment


async def record_bank_transfer(ctx: Any, number: str, amount_minor: int, reference: str | None,
                               note: str | None) -> Payment:
    order = await lock_order(ctx, number)
    _check_payable(order)
    if not method_enabled(ctx, BANK_TRANSFER):
        raise InputError("bank transfer payments are off for this brand", field="method")
    st = await standing(ctx, order)
    if amount_minor > st.outstanding_minor:
        raise InputError(f"must be at most the {money(st.outstanding_minor, st.currency)} still owed", field="amount")
    payment = Payment(order_id=order.id, order_number=order.number, method=BANK_TRANSFER, amount_minor=amount_minor,
                      currency=st.currency, status=P_PENDING, reference=reference, note=note, created_by=user_id(ctx))
    ctx.session.add(payment)
    await ctx.session.flush()
    await mark_succeeded(ctx, order, payment)
    await ctx.session.commit()
    return payment


async def choose_credit(ctx: Any, number: str) -> Order:
    """Pay later on credit terms (credit plugin): nothing moves now; paying later frees the credit."""
    order = await lock_order(ctx, number, buyer_only=True)
    _check_payable(order)
    if not (method_enabled(ctx, CREDIT) and ctx.is_enabled("credit")):
        raise InputError("paying on credit is not available", field="method")
    extra = dict(order.extra or {})
    extra["payment_terms"] = CREDIT
    order.extra = extra
    await ctx.session.commit()
    return order


# --- refunds --------------------------------------------------------------------------------


async def create_refund(ctx: Any, number: str, amount_minor: int, reason: str | None) -> list[Refund]:
    """Reserve a refund on the order's payments (newest first), then carry each one out."""
    order = await lock_order(ctx, number)
    st = await standing(ctx, order)
    if amount_minor > st.refundable_minor:
        raise InputError(f"must be at most the refundable {money(st.refundable_minor, st.currency)}", field="amount")
    remaining = amount_minor
    refunds: list[Refund] = []
    for payment in reversed(await succeeded_payments(ctx, order.id)):
        if remaining <= 0:
            break
        share = min(remaining, payment.amount_minor - payment.refunded_minor)
        if share <= 0:
            continue
        result = await ctx.session.execute(
            update(Payment).where(Payment.id == payment.id, Payment.refunded_minor + share <= Payment.amount_minor)
            .values(refunded_minor=Payment.refunded_minor + share).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            await ctx.session.rollback()
            raise Conflict("the payments changed meanwhile; try again")
        refund = Refund(order_id=order.id, order_number=order.number, payment_id=payment.id, method=payment.method,
                        amount_minor=share, currency=payment.currency, status=R_PENDING, reason=reason,
                        created_by=user_id(ctx))
        ctx.session.add(refund)
        refunds.append(refund)
        remaining -= share
    await ctx.session.flush()
    for refund in refunds:
        if refund.method == BALANCE:
            await _refund_to_balance(ctx, order, refund)
        elif refund.method != CARD:
            refund.status = R_SUCCEEDED  # bank transfer / other offline money: finance pays it back
            enqueue_after_commit(ctx.session, "payments.reverse", refund_id=refund.id)
    await ctx.session.commit()
    for refund in refunds:
        if refund.method == CARD:
            await process_card_refund(ctx, refund.id, from_job=False)
    return refunds


async def _refund_to_balance(ctx: Any, order: Order, refund: Refund) -> None:
    customer = await ctx.session.get(Customer, (order.tenant_id, order.customer_id)) if order.customer_id else None
    if customer is None:
        raise Conflict("the order's customer is gone; refund it another way")
    account = await balance_account(ctx, customer, create=True)
    assert account is not None
    await _balance_change(ctx, account, refund.amount_minor, REFUND, order_number=order.number,
                          note=refund.reason)
    refund.status = R_SUCCEEDED
    enqueue_after_commit(ctx.session, "payments.reverse", refund_id=refund.id)


async def process_card_refund(ctx: Any, refund_id: int, *, from_job: bool) -> Refund | None:
    """Carry out a pending card refund through Stripe with the key ``refund:<tenant>:<id>``.

    A provider error leaves it pending and queues ``payments.refund`` (a retry replays the key);
    a definitive refusal marks it failed and gives the amount back to what is refundable.
    """
    refund = await ctx.session.scalar(select(Refund).where(Refund.id == refund_id)
                                      .execution_options(populate_existing=True))
    if refund is None or refund.status != R_PENDING:
        return refund
    payment = await ctx.session.get(Payment, (refund.tenant_id, refund.payment_id))
    assert payment is not None
    await ctx.session.commit()
    client = sc.client("payments")
    params = {"payment_intent": payment.payment_intent_id, "amount": refund.amount_minor,
              "metadata": {"tenant_id": str(ctx.tenant.id), "order_number": refund.order_number,
                           "refund_id": str(refund.id)}}
    try:
        stripe_refund = await sc.call(lambda: client.v1.refunds.create(
            params, options={"idempotency_key": f"refund:{ctx.tenant.id}:{refund.id}"}))
    except (stripe.InvalidRequestError, stripe.CardError) as exc:
        await relock(ctx, refund.order_id)
        result = await ctx.session.execute(
            update(Refund).where(Refund.id == refund.id, Refund.status == R_PENDING)
            .values(status=R_FAILED, failure=str(exc.user_message or exc)[:500])
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            await ctx.session.execute(
                update(Payment).where(Payment.id == payment.id)
                .values(refunded_minor=Payment.refunded_minor - refund.amount_minor)
                .execution_options(synchronize_session=False))
        await ctx.session.commit()
        return await ctx.session.get(Refund, (refund.tenant_id, refund.id), populate_existing=True)
    except stripe.StripeError:
        if from_job:
            raise
        enqueue_after_commit(ctx.session, "payments.refund", refund_id=refund.id)
        await ctx.session.commit()
        return refund
    result = await ctx.session.execute(
        update(Refund).where(Refund.id == refund.id, Refund.status == R_PENDING)
        .values(status=R_SUCCEEDED, stripe_refund_id=stripe_refund.id)
        .execution_options(synchronize_session=False))
    if result.rowcount == 1:
        enqueue_after_commit(ctx.session, "payments.reverse", refund_id=refund.id)
    await ctx.session.commit()
    return await ctx.session.get(Refund, (refund.tenant_id, refund.id), populate_existing=True)


# --- split rules and settlement lines --------------------------------------------------------


def platform_percent() -> Decimal:
    from qudao.core.config import get_settings

    try:
        value = Decimal(str(get_settings().platform_fee_percent or "0"))
    except InvalidOperation:
        value = Decimal(0)
    return value if value.is_finite() and 0 <= value <= 100 else Decimal(0)


def parse_percent(data: dict[str, Any], key: str, errors: list[dict[str, str]], *, required: bool) -> Decimal | None:
    raw = data.get(key)
    if raw is None or raw == "":
        if required:
            errors.append({"field": key, "message": "is required"})
        return None
    if isinstance(raw, bool):
        errors.append({"field": key, "message": "must be a percentage such as \"12.5\""})
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        errors.append({"field": key, "message": "must be a percentage such as \"12.5\""})
        return None
    if not value.is_finite() or value < 0 or value > 100:
        errors.append({"field": key, "message": "must be between 0 and 100"})
        return None
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        errors.append({"field": key, "message": "has more than 2 decimal places"})
        return None
    return value


def _pct(value: Decimal | str) -> str:
    d = Decimal(str(value)).normalize()
    return format(d, "f")


async def current_rule(ctx: Any) -> SplitRule | None:
    return await ctx.session.scalar(select(SplitRule).where(SplitRule.name == "default"))


def rule_view(rule: SplitRule | None) -> dict[str, Any]:
    platform = platform_percent()
    if rule is None:
        return {"platform_percent": _pct(platform), "brand_percent": _pct(HUNDRED - platform),
                "distributor_percent": "0", "sales_rep_percent": "0", "configured": False}
    return {"platform_percent": _pct(platform), "brand_percent": _pct(rule.brand_percent),
            "distributor_percent": _pct(rule.distributor_percent), "sales_rep_percent": _pct(rule.sales_rep_percent),
            "configured": True, "updated_at": rule.updated_at.isoformat()}


async def put_rule(ctx: Any, data: dict[str, Any]) -> tuple[SplitRule, bool]:
    errors: list[dict[str, str]] = []
    unknown = set(data) - {"brand_percent", "distributor_percent", "sales_rep_percent", "platform_percent"}
    for key in sorted(unknown):
        errors.append({"field": key, "message": "unknown field"})
    brand = parse_percent(data, "brand_percent", errors, required=True)
    distributor = parse_percent(data, "distributor_percent", errors, required=False) or Decimal(0)
    rep = parse_percent(data, "sales_rep_percent", errors, required=False) or Decimal(0)
    platform = platform_percent()
    given = parse_percent(data, "platform_percent", errors, required=False)
    if given is not None and given != platform:
        errors.append({"field": "platform_percent",
                       "message": f"is set by the platform operator ({_pct(platform)} %)"})
    if brand is not None and not errors:
        total = platform + brand + distributor
        if total != HUNDRED:
            errors.append({"field": "brand_percent", "message": (
                f"platform {_pct(platform)} % + brand {_pct(brand)} % + distributor {_pct(distributor)} % "
                f"= {_pct(total)} %; the split must add up to 100 %")})
        if rep > brand:
            errors.append({"field": "sales_rep_percent", "message": "is paid out of the brand's share, so it "
                                                                     "cannot be more than brand_percent"})
    if errors:
        raise InputError(errors)
    assert brand is not None
    rule = await current_rule(ctx)
    created = rule is None
    if rule is None:
        rule = SplitRule(name="default")
        ctx.session.add(rule)
    rule.platform_percent, rule.brand_percent = _pct(platform), _pct(brand)
    rule.distributor_percent, rule.sales_rep_percent = _pct(distributor), _pct(rep)
    rule.updated_by, rule.updated_at = user_id(ctx), utcnow()
    await ctx.session.commit()
    return rule, created


def share(total_minor: int, percent: Decimal) -> int:
    return int((Decimal(total_minor) * percent / HUNDRED).quantize(Decimal(1), rounding=ROUND_HALF_UP))


async def distributor_of(ctx: Any, order: Order) -> Customer | None:
    """The party serving the order on the brand's behalf: the buyer's parent in the channel tree."""
    if order.customer_id is None:
        return None
    customer = await ctx.session.get(Customer, (order.tenant_id, order.customer_id))
    if customer is None or customer.parent_id is None:
        return None
    return await ctx.session.get(Customer, (order.tenant_id, customer.parent_id))


def customer_party(code: str) -> str:
    return f"customer:{code}"


async def create_settlement(ctx: Any, order: Order) -> list[SettlementLine]:
    """Split a fully paid order into settlement lines (once per order; called under the order lock).

    Platform fee = the operator's current percentage; distributor = the rule's share when the buyer
    has a parent in the channel tree; the brand gets the remainder, so the lines add up to the
    order total to the cent. An order paid entirely by one card charge is paid out through Stripe
    Connect (lines ``pending``); otherwise the money is not on the platform's Stripe account and
    the lines are ``offline``.
    """
    existing = (await ctx.session.scalars(select(SettlementLine).where(SettlementLine.order_id == order.id))).all()
    if existing:
        return list(existing)
    cur = currency_of(ctx, order)
    total = to_minor(order.total, cur)
    rule = await current_rule(ctx)
    platform_pct = platform_percent()
    dist_pct = Decimal(rule.distributor_percent) if rule else Decimal(0)
    rep_pct = Decimal(rule.sales_rep_percent) if rule else Decimal(0)
    distributor = await distributor_of(ctx, order)
    if distributor is None or dist_pct + platform_pct > HUNDRED:
        dist_pct = Decimal(0)
    payments = await succeeded_payments(ctx, order.id)
    cards = [p for p in payments if p.method == CARD and p.charge_id]
    via_stripe = len(payments) == 1 and len(cards) == 1 and cards[0].amount_minor >= total
    charge = cards[0].charge_id if via_stripe else None
    platform_amt = share(total, platform_pct)
    dist_amt = share(total, dist_pct) if distributor is not None else 0
    brand_amt = total - platform_amt - dist_amt
    parties: list[tuple[str, str, Decimal, int, str]] = [
        (PLATFORM, PLATFORM, platform_pct, platform_amt, L_KEPT),
        ("brand", BRAND, HUNDRED - platform_pct - dist_pct, brand_amt, L_PENDING if via_stripe else L_OFFLINE),
    ]
    if distributor is not None:
        parties.append((customer_party(distributor.code), DISTRIBUTOR, dist_pct, dist_amt,
                        L_PENDING if via_stripe else L_OFFLINE))
    buyer = await ctx.session.get(Customer, (order.tenant_id, order.customer_id)) if order.customer_id else None
    if rep_pct > 0 and buyer is not None and buyer.sales_rep_id is not None:
        parties.append((f"rep:{buyer.sales_rep_id}", SALES_REP, rep_pct, share(total, rep_pct), L_RECORDED))
    lines = []
    for party, role, pct, amount, status in parties:
        if amount == 0 and status == L_PENDING:
            status = L_OFFLINE  # nothing to transfer
        line = SettlementLine(order_id=order.id, order_number=order.number, party=party, role=role,
                              percent=_pct(pct), amount_minor=amount, currency=cur, status=status,
                              source_charge_id=charge, idempotency_key=transfer_key(ctx.tenant.id, order.number, party),
                              note=None if role != SALES_REP else "commission out of the brand's share; recorded only")
        ctx.session.add(line)
        lines.append(line)
    await ctx.session.flush()
    if any(line.status == L_PENDING for line in lines):
        enqueue_after_commit(ctx.session, "payments.payout", order_id=order.id)
    return lines


def line_view(line: SettlementLine) -> dict[str, Any]:
    cur = line.currency
    return {
        "party": line.party, "role": line.role, "percent": line.percent,
        "amount": money(line.amount_minor, cur), "reversed": money(line.reversed_minor, cur),
        "net": money(line.amount_minor - line.reversed_minor, cur), "status": line.status,
        "transfer": line.stripe_transfer_id, "destination": line.destination,
        "idempotency_key": line.idempotency_key, "note": line.note,
        "paid_at": line.paid_at.isoformat() if line.paid_at else None,
    }


async def settlement_view(ctx: Any, order: Order) -> dict[str, Any]:
    lines = (await ctx.session.scalars(select(SettlementLine).where(SettlementLine.order_id == order.id)
                                       .order_by(SettlementLine.role, SettlementLine.party))).all()
    st = await standing(ctx, order)
    cur = st.currency
    counted = [ln for ln in lines if ln.role != SALES_REP]
    return {
        "number": order.number, "currency": cur, "charged": money(st.paid_minor, cur),
        "refunded": money(st.refunded_minor, cur),
        "settled": money(sum(ln.amount_minor - ln.reversed_minor for ln in counted), cur),
        "lines": [line_view(ln) for ln in lines],
    }


# --- errors shared by the API and pages ---------------------------------------------------------


async def save_or_conflict(ctx: Any) -> None:
    try:
        await ctx.session.commit()
    except IntegrityError:
        await ctx.session.rollback()
        raise Conflict("this changed meanwhile; try again") from None
