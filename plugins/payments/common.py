"""Small helpers every payments module shares: amounts, order locks, who acts, enabled methods.

Serialisation: every change of an order's payments first locks the order row
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite runs one writer at a time under
``BEGIN IMMEDIATE``) with :func:`lock_order`, then changes payment rows with conditional
UPDATEs, so a duplicate webhook, a double-clicked button or a job delivered twice records a
payment once.

No database transaction is held open across a Stripe call: rows are committed first
(e.g. a payment row in ``creating``), the call is made with a deterministic idempotency
key, and the answer is applied in a new transaction.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from qudao.core.errors import Conflict, InputError, NotFound
from qudao.core.orders.models import Order
from qudao.core.plugin_api import audit, fmt
from qudao.plugins.payments.models import (
    BALANCE,
    BANK_TRANSFER,
    CARD,
    CREDIT,
    P_SUCCEEDED,
    Payment,
    from_minor,
    to_minor,
)

log = structlog.get_logger("qudao.payments")


PLUGIN = "payments"


CLOSED_ORDER_STATUSES = ("cancelled", "rejected")


HUNDRED = Decimal(100)


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


def audit_money(ctx: Any, action: str, target: str, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    """A staff member moved money (refund, top-up, bank transfer, split rule): one audit entry in the
    change's transaction (nothing for a buyer's own payment)."""
    user = getattr(ctx, "user", None)
    if user is not None and getattr(user, "kind", None) == "staff":
        audit(ctx.session, f"payments.{action}", target, before, after, user_id=user.id, user_email=user.email or "")


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


async def save_or_conflict(ctx: Any) -> None:
    try:
        await ctx.session.commit()
    except IntegrityError:
        await ctx.session.rollback()
        raise Conflict("this changed meanwhile; try again") from None
