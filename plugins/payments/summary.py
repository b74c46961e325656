"""What an order owes and has paid (its standing), and the views of its payments and refunds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from qudao.core.errors import Conflict, InputError
from qudao.core.orders.models import Order
from qudao.plugins.payments.common import (
    CLOSED_ORDER_STATUSES,
    currency_of,
    enabled_methods,
    method_enabled,
    money,
)
from qudao.plugins.payments.models import (
    P_SUCCEEDED,
    R_PENDING,
    R_SUCCEEDED,
    Payment,
    Refund,
    to_minor,
)


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


def check_payable(order: Order) -> None:
    if order.status in CLOSED_ORDER_STATUSES:
        raise Conflict(f"an order that is {order.status} cannot be paid")


async def payable(ctx: Any, order: Order, method: str, off: str) -> Standing:
    """The standing of an order about to be paid by ``method``; refused when the order is closed or
    the method is off (``off`` says so)."""
    check_payable(order)
    if not method_enabled(ctx, method):
        raise InputError(off, field="method")
    return await standing(ctx, order)
