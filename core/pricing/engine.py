"""The one price engine: every screen, quote, order and API call prices through it.

Resolution for a customer: its customer price, else its tier price, else the
base price; plugins may then adjust lines (special prices) in the checkout
pipeline. Guests pay the retail price (no retail price: not sold to guests).
A whole page or cart is resolved in a constant number of queries (two), and
each result says which rule set the price.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from qudao.core.catalog.models import Product
from qudao.core.customers.models import Customer
from qudao.core.money import quantize
from qudao.core.pricing.models import CustomerPrice, TierPrice
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class ResolvedPrice:
    price: Decimal
    source: str  # customer | tier | base | retail
    label: str


async def resolve_prices(session: AsyncSession, products: Sequence[Product], *, customer: Customer | None,
                         guest: bool = False, currency: str = "CNY") -> dict[int, ResolvedPrice | None]:
    """Price many products for one buyer; None means 'not for sale to this buyer'."""
    ids = [p.id for p in products]
    out: dict[int, ResolvedPrice | None] = {}
    if guest:
        for p in products:
            out[p.id] = (ResolvedPrice(quantize(p.retail_price, currency), "retail", "Retail price")
                         if p.retail_price is not None else None)
        return out
    customer_prices: dict[int, Decimal] = {}
    tier_prices: dict[int, Decimal] = {}
    if customer is not None and ids:
        customer_prices = dict((await session.execute(
            select(CustomerPrice.product_id, CustomerPrice.price)
            .where(CustomerPrice.customer_id == customer.id, CustomerPrice.product_id.in_(ids)))).all())
        if customer.tier_id is not None:
            tier_prices = dict((await session.execute(
                select(TierPrice.product_id, TierPrice.price)
                .where(TierPrice.tier_id == customer.tier_id, TierPrice.product_id.in_(ids)))).all())
    for p in products:
        if p.id in customer_prices:
            out[p.id] = ResolvedPrice(quantize(customer_prices[p.id], currency), "customer", "Customer price")
        elif p.id in tier_prices:
            out[p.id] = ResolvedPrice(quantize(tier_prices[p.id], currency), "tier", "Tier price")
        else:
            out[p.id] = ResolvedPrice(quantize(p.price, currency), "base", "Base price")
    return out
