"""Alerts beyond order events: low stock to the staff who handle it, credit warnings to a
customer's buyers; their event ids carry the business day, so a level flapping around its
threshold messages once a day."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.auth.models import User
from qudao.core.catalog.models import Product
from qudao.core.customers.models import Customer
from qudao.core.inventory.models import Stock, Warehouse
from qudao.core.inventory.service import available_expr, counts_in_transit
from qudao.core.plugins.context import TenantContext
from qudao.plugins.wechat.common import PLUGIN, event_on
from qudao.plugins.wechat.messages import (
    CREDIT_PHRASES,
    PHRASES,
    _bound_only,
    _link,
    _when,
    bound_buyers,
    create_messages,
)

STOCK_ROLES = ("owner", "admin", "warehouse")  # who hears about low stock


MAX_LOW_STOCK_PRODUCTS = 200  # per event; a bigger batch is cut (the admin's low-stock page has all)


async def staff_with_roles(session: AsyncSession, roles: tuple[str, ...]) -> list[User]:
    return list((await session.scalars(select(User).where(
        User.active.is_(True), User.kind == "staff", User.role.in_(roles)).order_by(User.id))).all())


def low_stock_event_id(warehouse_id: int, product_id: int, day: str) -> str:
    return f"low_stock:{warehouse_id}:{product_id}:{day}"


async def notify_low_stock(ctx: TenantContext, warehouse_id: int, product_ids: list[int], day: str,
                           site: str | None = None) -> list[int]:
    """One ``low_stock`` message per product (warehouse, business day) to owners, admins and
    warehouse staff. Re-reads the stock: a product no longer at or below its threshold (stock
    received meanwhile) is not reported."""
    if not event_on(ctx.settings(PLUGIN), "low_stock") or not product_ids:
        return []
    session = ctx.session
    users = await _bound_only(ctx, await staff_with_roles(session, STOCK_ROLES))
    if not users:
        return []
    avail = available_expr(counts_in_transit(ctx.tenant))
    rows = (await session.execute(
        select(Product.id, Product.sku, Product.name, Warehouse.name, avail, Stock.low_threshold)
        .join(Product, (Product.id == Stock.product_id) & (Product.tenant_id == Stock.tenant_id))
        .join(Warehouse, (Warehouse.id == Stock.warehouse_id) & (Warehouse.tenant_id == Stock.tenant_id))
        .where(Stock.warehouse_id == warehouse_id, Stock.product_id.in_(product_ids[:MAX_LOW_STOCK_PRODUCTS]),
               Stock.low_threshold.is_not(None), avail <= Stock.low_threshold)
        .order_by(Product.sku))).all()
    when = _when(ctx.tenant.timezone)
    batches: dict[str, tuple[list[User], dict[str, str]]] = {}
    urls: dict[str, str | None] = {}
    for product_id, sku, name, warehouse, available, _threshold in rows:
        eid = low_stock_event_id(warehouse_id, product_id, day)
        batches[eid] = (users, {"character_string1": sku, "phrase2": PHRASES["low_stock"], "time3": when,
                                "thing5": name, "number7": str(max(int(available), 0)), "thing8": warehouse})
        urls[eid] = _link(site, ctx.tenant.slug, f"/admin/stock/product/{sku}")
    if not batches:
        return []
    return await create_messages(ctx, "low_stock", batches, urls=urls)


def credit_event_id(customer_id: int, kind: str, day: str) -> str:
    return f"credit_warning:{customer_id}:{kind}:{day}"


async def notify_credit(ctx: TenantContext, customer_id: int, kind: str, message: str, day: str,
                        site: str | None = None) -> list[int]:
    """One ``credit_warning`` message per (customer, kind, business day) to the customer's buyers."""
    if not event_on(ctx.settings(PLUGIN), "credit_warning") or kind not in CREDIT_PHRASES:
        return []
    session = ctx.session
    customer = await session.get(Customer, (ctx.tenant.id, customer_id))
    if customer is None:
        return []
    users = await bound_buyers(ctx, customer_id)
    if not users:
        return []
    data = {"phrase2": CREDIT_PHRASES[kind], "time3": _when(ctx.tenant.timezone),
            "thing5": " ".join((message or "").split())[:200] or "-"}
    return await create_messages(ctx, "credit_warning", {credit_event_id(customer_id, kind, day): (users, data)},
                                 url=_link(site, ctx.tenant.slug, "/credit"))
