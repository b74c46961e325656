"""Figures for the admin dashboard."""

from __future__ import annotations

from qudao.core.catalog.models import Product
from qudao.core.customers.models import Customer
from qudao.core.orders.models import Order
from qudao.web.context import RequestContext
from sqlalchemy import func, select


async def dashboard_stats(ctx: RequestContext) -> list[tuple[str, str]]:
    s = ctx.session
    products = await s.scalar(select(func.count()).select_from(Product))
    customers = await s.scalar(select(func.count()).select_from(Customer))
    orders = await s.scalar(select(func.count()).select_from(Order))
    pending = await s.scalar(select(func.count()).select_from(Order).where(Order.status == "submitted"))
    return [("Products", str(products)), ("Customers", str(customers)), ("Orders", str(orders)),
            ("Awaiting approval", str(pending))]
