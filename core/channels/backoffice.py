"""What a distributor's back office reads and writes: its stores, prices, stock and orders.

Every function takes the acting reseller (from :func:`qudao.core.channels.scope.acting_reseller`)
and narrows every query with the scope criteria, so one reseller never reaches another's rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from qudao.core.auth.models import User
from qudao.core.catalog.models import Product
from qudao.core.channels.models import ResellerPrice
from qudao.core.channels.scope import order_criteria, store_criteria, warehouse_criteria
from qudao.core.channels.sellers import reseller_warehouse
from qudao.core.customers.models import Customer, Tier
from qudao.core.customers.service import upsert_buyer
from qudao.core.errors import Conflict, NotFound
from qudao.core.inventory.models import Stock, Warehouse
from qudao.core.inventory.service import available_expr, counts_in_transit, set_on_hand
from qudao.core.money import fmt
from qudao.core.orders.checkout import visible_products
from qudao.core.orders.models import Order
from qudao.core.plugins.context import TenantContext
from qudao.core.validation import Fields, check_code

ORDER_PAGE = 200


async def stores(ctx: TenantContext, reseller: Customer) -> list[dict[str, Any]]:
    rows = (await ctx.session.execute(
        select(Customer, Tier.code).outerjoin(Tier, (Tier.id == Customer.tier_id) & (Tier.tenant_id == Customer.tenant_id))
        .where(*store_criteria(reseller)).order_by(Customer.code))).all()
    return [store_view(c, tier) for c, tier in rows]


def store_view(c: Customer, tier: str | None = None) -> dict[str, Any]:
    return {"code": c.code, "name": c.name, "region": c.region, "tier": tier, "status": c.status,
            "direct_from_brand": bool(c.direct_from_brand)}


async def save_store(ctx: TenantContext, reseller: Customer, data: dict[str, Any]) -> tuple[Customer, bool]:
    """Create a store under the reseller (or update one of its own); optionally a buyer login.

    A code already used by a customer outside the reseller's tree is a 409."""
    f = Fields(data)
    code = f.text("code", required=True, max_len=64)
    name = f.text("name", max_len=200)
    region = f.text("region", max_len=200)
    email = f.text("email", max_len=254)
    password = data.get("password")
    if code:
        try:
            check_code(code)
        except Exception:
            f.error("code", "must be 1-64 letters, digits, '.', '_' or '-'")
    if email and not isinstance(password, str):
        f.error("password", "is required with an email")
    f.check()
    assert code is not None
    store = await ctx.session.scalar(select(Customer).where(Customer.code == code))
    if store is not None and store.parent_id != reseller.id:
        raise Conflict(f"the code '{code}' is taken")
    created = store is None
    if store is None:
        if not name:
            f.error("name", "is required")
            f.check()
        store = Customer(code=code, name=name, type="store", parent_id=reseller.id, region=region)
        ctx.session.add(store)
    else:
        if name:
            store.name = name
        if f.has("region"):
            store.region = region
    await ctx.session.flush()
    if email:
        await upsert_buyer(ctx.session, code, email, {"password": password, "name": name})
    return store, created


async def prices(ctx: TenantContext, reseller: Customer) -> list[dict[str, Any]]:
    rows = (await ctx.session.execute(
        select(ResellerPrice, Product.sku, Product.name, Product.floor_price)
        .join(Product, (Product.id == ResellerPrice.product_id) & (Product.tenant_id == ResellerPrice.tenant_id))
        .where(ResellerPrice.seller_id == reseller.id).order_by(Product.sku, ResellerPrice.scope))).all()
    targets = await _target_codes(ctx, [r for r, *_ in rows])
    cur = ctx.tenant.currency
    return [{"sku": sku, "name": name, "price": fmt(r.price, cur), "scope": r.scope,
             "customer": targets.get(("customer", r.target_id)), "tier": targets.get(("tier", r.target_id)),
             "floor": fmt(floor, cur) if floor is not None else None} for r, sku, name, floor in rows]


async def _target_codes(ctx: TenantContext, rows: list[ResellerPrice]) -> dict[tuple[str, int], str]:
    out: dict[tuple[str, int], str] = {}
    cids = {r.target_id for r in rows if r.scope == "customer"}
    tids = {r.target_id for r in rows if r.scope == "tier"}
    if cids:
        out.update({("customer", i): c for i, c in (await ctx.session.execute(
            select(Customer.id, Customer.code).where(Customer.id.in_(cids)))).all()})
    if tids:
        out.update({("tier", i): c for i, c in (await ctx.session.execute(
            select(Tier.id, Tier.code).where(Tier.id.in_(tids)))).all()})
    return out


async def sellable_product(ctx: TenantContext, sku: str) -> Product:
    """A product the reseller may sell: one the brand lets it buy (brand isolation applies)."""
    product = (await visible_products(ctx, [sku])).get(sku)
    if product is None:
        raise NotFound(f"no product with SKU '{sku}' available to you")
    return product


async def stock(ctx: TenantContext, reseller: Customer) -> list[dict[str, Any]]:
    cit = counts_in_transit(ctx.tenant)
    rows = (await ctx.session.execute(
        select(Product.sku, Product.name, Warehouse.code, Stock.on_hand, Stock.reserved, available_expr(cit))
        .join(Warehouse, (Warehouse.id == Stock.warehouse_id) & (Warehouse.tenant_id == Stock.tenant_id))
        .join(Product, (Product.id == Stock.product_id) & (Product.tenant_id == Stock.tenant_id))
        .where(*warehouse_criteria(reseller)).order_by(Product.sku))).all()
    return [{"sku": sku, "name": name, "warehouse": wh, "on_hand": on_hand, "reserved": reserved,
             "available": max(0, int(avail))} for sku, name, wh, on_hand, reserved, avail in rows]


async def set_stock(ctx: TenantContext, reseller: Customer, product: Product, on_hand: int) -> tuple[Stock, bool]:
    """A counted quantity in the reseller's own warehouse (an opening balance or a stocktake)."""
    wh = await reseller_warehouse(ctx.session, reseller, create=True)
    assert wh is not None
    return await set_on_hand(ctx.session, wh, product.id, on_hand, user_id=ctx.user.id if ctx.user else None,
                             note="distributor count")


async def orders(ctx: TenantContext, reseller: Customer, status: str | None = None) -> list[dict[str, Any]]:
    stmt = (select(Order, Customer.code, Customer.name)
            .join(Customer, (Customer.id == Order.customer_id) & (Customer.tenant_id == Order.tenant_id))
            .where(*order_criteria(reseller)))
    if status:
        stmt = stmt.where(Order.status == status)
    rows = (await ctx.session.execute(stmt.order_by(Order.created_at.desc()).limit(ORDER_PAGE))).all()
    return [{"number": o.number, "status": o.status, "customer": code, "customer_name": name,
             "total": fmt(o.total, o.currency), "created_at": o.created_at.isoformat()} for o, code, name in rows]


async def order_counts(ctx: TenantContext, reseller: Customer) -> dict[str, int]:
    rows = (await ctx.session.execute(select(Order.status, func.count(Order.id))
                                      .where(*order_criteria(reseller)).group_by(Order.status))).all()
    return {s: int(n) for s, n in rows}


async def buyer_logins(ctx: TenantContext, store: Customer) -> list[str]:
    return list((await ctx.session.scalars(select(User.email).where(User.customer_id == store.id)
                                           .order_by(User.email))).all())
