"""Prepaid balance: the customer's account, top-ups and paying an order from it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from qudao.core.customers.models import Customer
from qudao.core.errors import Conflict, InputError, Refused
from qudao.plugins.payments.common import audit_money, currency_of, lock_order, money, user_id
from qudao.plugins.payments.models import (
    BALANCE,
    P_PENDING,
    PAY,
    TOPUP,
    BalanceAccount,
    BalanceEntry,
    Payment,
)
from qudao.plugins.payments.settlement import mark_succeeded
from qudao.plugins.payments.summary import payable


async def balance_account(ctx: Any, customer: Customer, *, create: bool = False) -> BalanceAccount | None:
    account = await ctx.session.scalar(select(BalanceAccount).where(BalanceAccount.customer_id == customer.id)
                                       .execution_options(populate_existing=True))
    if account is None and create:
        account = BalanceAccount(customer_id=customer.id, currency=currency_of(ctx), balance_minor=0)
        ctx.session.add(account)
        await ctx.session.flush()
    return account


async def balance_change(ctx: Any, account: BalanceAccount, delta: int, kind: str, *, order_number: str | None = None,
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
    after = await balance_change(ctx, account, amount_minor, TOPUP, reference=reference, note=note)
    assert after is not None
    audit_money(ctx, "topup", customer.code, {"balance": money(after - amount_minor, account.currency)},
                {"balance": money(after, account.currency), "reference": (reference or "")[:100]})
    await ctx.session.commit()
    return after


async def pay_with_balance(ctx: Any, number: str, amount_minor: int | None) -> Payment:
    order = await lock_order(ctx, number, buyer_only=True)
    st = await payable(ctx, order, BALANCE, "prepaid balance payments are off for this brand")
    if st.outstanding_minor <= 0:
        raise Conflict("this order is already paid")
    amount = st.outstanding_minor if amount_minor is None else amount_minor
    if amount > st.outstanding_minor:
        raise InputError(f"must be at most the {money(st.outstanding_minor, st.currency)} still owed", field="amount")
    customer = ctx.customer
    account = await balance_account(ctx, customer)
    have = account.balance_minor if account else 0
    if account is None or await balance_change(ctx, account, -amount, PAY, order_number=order.number) is None:
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
