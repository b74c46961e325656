"""Sales reps see and serve only their own customers (and those customers' orders).

Every staff listing and lookup of customers or orders goes through these criteria,
so the rule lives in one place; other roles get no extra criteria.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from qudao.core.customers.models import Customer
from qudao.core.plugins.context import TenantContext


def is_sales_rep(ctx: TenantContext) -> bool:
    return ctx.user is not None and ctx.user.kind == "staff" and ctx.user.role == "sales_rep"


def customer_criteria(ctx: TenantContext) -> list[Any]:
    """Criteria on ``Customer`` for the current staff user."""
    if is_sales_rep(ctx):
        assert ctx.user is not None
        return [Customer.sales_rep_id == ctx.user.id]
    return []


def order_customer_criteria(ctx: TenantContext, customer_id_column: Any) -> list[Any]:
    """Criteria on an order's customer id column for the current staff user.

    On ``Order.customer_id`` the brand's staff also see only the brand's own sales: a
    distributor's orders to its stores are its own (core/channels) and reach the brand as
    sell-through reports."""
    from qudao.core.orders.models import Order

    out: list[Any] = []
    if ctx.is_staff and customer_id_column is Order.customer_id:
        out.append(Order.seller_customer_id.is_(None))
    if is_sales_rep(ctx):
        assert ctx.user is not None
        out.append(customer_id_column.in_(select(Customer.id).where(Customer.sales_rep_id == ctx.user.id)))
    return out
