"""Card payments through Stripe PaymentIntents: create, confirm, re-fetch and apply (the last
shared with the webhook)."""

from __future__ import annotations

from typing import Any

import stripe
from sqlalchemy import select, update

from qudao.core.errors import Conflict, InputError, NotFound, Refused
from qudao.core.orders.models import Order
from qudao.plugins.payments import stripe_client as sc
from qudao.plugins.payments.common import lock_order, log, relock, transfer_group, user_id
from qudao.plugins.payments.models import (
    CARD,
    P_CREATING,
    P_FAILED,
    P_PENDING,
    P_SUCCEEDED,
    PAYMENT_OPEN,
    Payment,
)
from qudao.plugins.payments.settlement import mark_succeeded
from qudao.plugins.payments.summary import payable


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
    st = await payable(ctx, order, CARD, "card payments are off for this brand")
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


async def card_payment(ctx: Any, number: str, payment_id: int) -> Payment:
    """One of the order's started card payments (a buyer: only on its own orders); the order lock
    is released again before Stripe is called."""
    order = await lock_order(ctx, number, buyer_only=not ctx.is_staff)
    payment = await ctx.session.scalar(select(Payment).where(Payment.id == payment_id, Payment.order_id == order.id,
                                                             Payment.method == CARD))
    if payment is None or payment.payment_intent_id is None:
        raise NotFound("no such card payment")
    await ctx.session.commit()
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
    payment = await card_payment(ctx, number, payment_id)
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
    payment = await card_payment(ctx, number, payment_id)
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
