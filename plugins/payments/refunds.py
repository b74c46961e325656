"""Refunds: spread over the order's payments (newest first), then carried out per method."""

from __future__ import annotations

from typing import Any

import stripe
from sqlalchemy import select, update

from qudao.core.customers.models import Customer
from qudao.core.errors import Conflict, InputError
from qudao.core.orders.models import Order
from qudao.core.plugin_api import enqueue_after_commit
from qudao.plugins.payments import stripe_client as sc
from qudao.plugins.payments.balance import balance_account, balance_change
from qudao.plugins.payments.common import audit_money, lock_order, money, relock, succeeded_payments, user_id
from qudao.plugins.payments.models import (
    BALANCE,
    CARD,
    R_FAILED,
    R_PENDING,
    R_SUCCEEDED,
    REFUND,
    Payment,
    Refund,
)
from qudao.plugins.payments.summary import standing


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
    audit_money(ctx, "refund", order.number, {"refundable": money(st.refundable_minor, st.currency)},
                {"refunded": money(amount_minor, st.currency), "reason": (reason or "")[:200],
                 "methods": sorted({r.method for r in refunds})})
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
    await balance_change(ctx, account, refund.amount_minor, REFUND, order_number=order.number,
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
