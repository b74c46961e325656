"""A reseller's selling prices, resolved for a (seller, buyer) pair with the same rules as the brand's.

For a store buying from its reseller (first that applies wins): the reseller's price for that
store (``reseller:customer``), for the store's tier (``reseller:tier``), for all its stores
(``reseller``); without one, the brand's own price for the store (its suggested price: customer
price, policy, tier, base, breaks). The brand's HQ floor (限价) binds every seller: a reseller
price below it is refused when written (and the attempt counted in ``reseller_floor_attempts``),
and a stored price that later falls below a raised floor is held at the floor, as for the brand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from qudao.core.catalog.models import Product
from qudao.core.channels.models import FloorAttempt, ResellerPrice
from qudao.core.channels.sellers import cart_seller
from qudao.core.customers.models import Customer, Tier
from qudao.core.errors import NotFound, Refused
from qudao.core.money import quantize
from qudao.core.plugins.context import TenantContext
from qudao.core.pricing.engine import ResolvedPrice, apply_floor, resolve_prices
from qudao.core.validation import Fields

LABELS = {"customer": "Distributor's price for you", "tier": "Distributor's tier price", "all": "Distributor's price"}
SOURCES = {"customer": "reseller:customer", "tier": "reseller:tier", "all": "reseller"}


async def resolve_for_cart(ctx: TenantContext, cart: Any, products: Sequence[Product],
                           quantities: Mapping[int, int] | None) -> dict[int, ResolvedPrice | None]:
    """The checkout's price step: the brand engine, or the cart's reseller's prices over it."""
    seller = cart_seller(cart)
    reseller = seller.customer if seller is not None else None
    return await resolve_for(ctx, products, reseller=reseller, quantities=quantities)


async def resolve_for(ctx: TenantContext, products: Sequence[Product], *, reseller: Customer | None,
                      quantities: Mapping[int, int] | None = None, buyer: Customer | None = None
                      ) -> dict[int, ResolvedPrice | None]:
    currency = ctx.tenant.currency
    buyer = buyer if buyer is not None else ctx.customer
    brand = await resolve_prices(ctx.session, products, customer=buyer, guest=ctx.guest is not None,
                                 currency=currency, quantities=quantities)
    if reseller is None or buyer is None or not products:
        return brand
    own = await reseller_price_map(ctx, reseller, [p.id for p in products], buyer)
    out: dict[int, ResolvedPrice | None] = {}
    for p in products:
        found = own.get(p.id)
        if found is None:
            out[p.id] = brand.get(p.id)
            continue
        scope, price = found
        out[p.id] = apply_floor(ResolvedPrice(quantize(price, currency), SOURCES[scope], LABELS[scope]),
                                p.floor_price, currency)
    return out


async def reseller_price_map(ctx: TenantContext, reseller: Customer, product_ids: list[int],
                             buyer: Customer) -> dict[int, tuple[str, Decimal]]:
    """``{product_id: (scope, price)}``: the most specific of the reseller's prices for ``buyer`` (one query)."""
    rank = {"customer": 0, "tier": 1, "all": 2}
    targets = {("customer", buyer.id), ("all", 0)}
    if buyer.tier_id is not None:
        targets.add(("tier", buyer.tier_id))
    rows = (await ctx.session.execute(
        select(ResellerPrice.product_id, ResellerPrice.scope, ResellerPrice.target_id, ResellerPrice.price)
        .where(ResellerPrice.seller_id == reseller.id, ResellerPrice.product_id.in_(product_ids)))).all()
    best: dict[int, tuple[str, Decimal]] = {}
    for pid, scope, target, price in rows:
        if (scope, target) not in targets:
            continue
        if pid not in best or rank[scope] < rank[best[pid][0]]:
            best[pid] = (scope, price)
    return best


async def set_reseller_price(ctx: TenantContext, reseller: Customer, product: Product, data: dict[str, Any]
                             ) -> tuple[ResellerPrice, bool]:
    """Upsert one of the reseller's prices (``{price, customer?, tier?}``; neither = all its stores).

    Below the HQ floor: the attempt is recorded and committed, then refused (``below_floor``)."""
    from qudao.core.channels.scope import store_of

    f = Fields(data)
    price = f.money("price", ctx.tenant.currency, required=True)
    store_code = f.text("customer", max_len=64)
    tier_code = f.text("tier", max_len=64)
    if store_code and tier_code:
        f.error("tier", "give a customer or a tier, not both")
    f.check()
    assert price is not None
    scope, target = "all", 0
    if store_code:
        scope, target = "customer", (await store_of(ctx, reseller, store_code)).id
    elif tier_code:
        tier_id = await ctx.session.scalar(select(Tier.id).where(Tier.code == tier_code))
        if tier_id is None:
            raise NotFound(f"no tier with code '{tier_code}'")
        scope, target = "tier", tier_id
    floor = product.floor_price
    if floor is not None and price < floor:
        ctx.session.add(FloorAttempt(seller_id=reseller.id, sku=product.sku, price=price, floor=floor,
                                     user_id=ctx.user.id if ctx.user else None))
        await ctx.session.commit()
        raise Refused([{"code": "below_floor",
                        "message": f"{price} is below the brand's HQ price floor {floor} for '{product.sku}'."}])
    row = await ctx.session.scalar(select(ResellerPrice).where(
        ResellerPrice.seller_id == reseller.id, ResellerPrice.product_id == product.id,
        ResellerPrice.scope == scope, ResellerPrice.target_id == target))
    created = row is None
    if row is None:
        row = ResellerPrice(seller_id=reseller.id, product_id=product.id, scope=scope, target_id=target, price=price)
        ctx.session.add(row)
    else:
        row.price = price
    await ctx.session.flush()
    return row, created
