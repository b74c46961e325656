"""The one scoping rule of every reseller route: who is the acting reseller, and what is in its tree.

A distributor's staff are the buyer logins of a ``can_resell`` customer: each may open the
distributor back office (``/t/{slug}/reseller/…`` pages, ``/reseller/…`` API). Its tree is the
customers whose parent it is (its stores). Every reseller read or write goes through
:func:`acting_reseller` and the ``*_criteria`` helpers here, so another distributor's ids (and
stores outside the tree) answer 404 and change nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from qudao.core.customers.models import Customer
from qudao.core.errors import NotFound, Unauthorized
from qudao.core.inventory.models import Warehouse
from qudao.core.orders.models import Order
from qudao.core.plugins.context import TenantContext


def is_reseller(ctx: TenantContext) -> bool:
    return (ctx.user is not None and ctx.user.kind == "customer" and ctx.customer is not None
            and bool(ctx.customer.can_resell) and ctx.customer.status == "active")


def acting_reseller(ctx: TenantContext) -> Customer:
    """The reseller customer the current login acts for; 401 signed out, 404 for any other login
    (the back office does not exist for it, so no id of it can be probed)."""
    if ctx.user is None:
        raise Unauthorized("sign in first")
    if not is_reseller(ctx):
        raise NotFound("no distributor back office for this login")
    assert ctx.customer is not None
    return ctx.customer


def store_criteria(reseller: Customer) -> list[Any]:
    return [Customer.parent_id == reseller.id]


def order_criteria(reseller: Customer) -> list[Any]:
    return [Order.seller_customer_id == reseller.id]


def warehouse_criteria(reseller: Customer) -> list[Any]:
    return [Warehouse.owner_customer_id == reseller.id]


async def store_of(ctx: TenantContext, reseller: Customer, code: str) -> Customer:
    store = await ctx.session.scalar(select(Customer).where(Customer.code == code, *store_criteria(reseller)))
    if store is None:
        raise NotFound(f"no store '{code}' of yours")
    return store


async def order_of(ctx: TenantContext, reseller: Customer, number: str) -> Order:
    order = await ctx.session.scalar(select(Order).where(Order.number == number, *order_criteria(reseller)))
    if order is None:
        raise NotFound(f"no order '{number}' sold by you")
    return order
