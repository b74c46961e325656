"""Money that does not pass through the platform: bank transfers recorded by finance, pay later on credit."""

from __future__ import annotations

from typing import Any

from qudao.core.errors import InputError
from qudao.core.orders.models import Order
from qudao.plugins.payments.common import audit_money, lock_order, method_enabled, money, user_id
from qudao.plugins.payments.models import (
    BANK_TRANSFER,
    CREDIT,
    P_PENDING,
    Payment,
)
from qudao.plugins.payments.settlement import mark_succeeded
from qudao.plugins.payments.summary import check_payable, payable


async def record_bank_transfer(ctx: Any, number: str, amount_minor: int, reference: str | None,
                               note: str | None) -> Payment:
    order = await lock_order(ctx, number)
    st = await payable(ctx, order, BANK_TRANSFER, "bank transfer payments are off for this brand")
    if amount_minor > st.outstanding_minor:
        raise InputError(f"must be at most the {money(st.outstanding_minor, st.currency)} still owed", field="amount")
    payment = Payment(order_id=order.id, order_number=order.number, method=BANK_TRANSFER, amount_minor=amount_minor,
                      currency=st.currency, status=P_PENDING, reference=reference, note=note, created_by=user_id(ctx))
    ctx.session.add(payment)
    await ctx.session.flush()
    await mark_succeeded(ctx, order, payment)
    audit_money(ctx, "bank_transfer", order.number, {"outstanding": money(st.outstanding_minor, st.currency)},
                {"received": money(amount_minor, st.currency), "reference": (reference or "")[:100]})
    await ctx.session.commit()
    return payment


async def choose_credit(ctx: Any, number: str) -> Order:
    """Pay later on credit terms (credit plugin): nothing moves now; paying later frees the credit."""
    order = await lock_order(ctx, number, buyer_only=True)
    check_payable(order)
    if not (method_enabled(ctx, CREDIT) and ctx.is_enabled("credit")):
        raise InputError("paying on credit is not available", field="method")
    extra = dict(order.extra or {})
    extra["payment_terms"] = CREDIT
    order.extra = extra
    await ctx.session.commit()
    return order
