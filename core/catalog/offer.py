"""What a caller is offered for a set of products: price and orderable stock.

One place for the catalog listing and the product endpoints, so both always agree:
staff see the base price and stock over all warehouses; a buyer sees its own price
(customer, policy, tier, breaks, floor) and what its warehouse can deliver; a guest
the retail price. A product missing from the answer is not for sale to the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from qudao.core.catalog.models import Product
from qudao.core.channels.prices import resolve_for
from qudao.core.channels.sellers import seller_for
from qudao.core.inventory.service import availability, counts_in_transit, total_availability
from qudao.core.plugins.context import TenantContext


@dataclass(frozen=True)
class Offer:
    price: Decimal
    source: str
    label: str
    available: int


async def offers(ctx: TenantContext, products: Sequence[Product]) -> dict[int, Offer]:
    """Price and stock for each product the caller may buy, keyed by product id (two or three queries)."""
    ids = [p.id for p in products]
    cit = counts_in_transit(ctx.tenant)
    if ctx.is_staff:
        avail = await total_availability(ctx.session, ids, cit)
        return {p.id: Offer(p.price, "base", "Base price", avail.get(p.id, 0)) for p in products}
    seller = await seller_for(ctx)  # a store under a distributor sees its distributor's prices and stock
    avail = await availability(ctx.session, seller.warehouse_id, ids, cit)
    resolved = await resolve_for(ctx, products, reseller=seller.customer)
    return {pid: Offer(r.price, r.source, r.label, avail.get(pid, 0)) for pid, r in resolved.items() if r is not None}
