"""Tier and customer price writes (with history and the HQ price floor)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from qudao.core.catalog.service import product_by_sku
from qudao.core.customers.models import Tier
from qudao.core.customers.service import customer_by_code
from qudao.core.errors import InputError, NotFound
from qudao.core.pricing.history import record_price_change
from qudao.core.pricing.models import CustomerPrice, TierPrice
from qudao.core.validation import Fields
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession


def _price(data: dict[str, Any], currency: str, floor: Decimal | None) -> Decimal:
    f = Fields(data)
    price = f.money("price", currency, required=True)
    f.check()
    assert price is not None
    if floor is not None and price < floor:
        raise InputError(f"is below the price floor {floor}", field="price")
    return price


async def set_tier_price(session: AsyncSession, tier_code: str, sku: str, data: dict[str, Any], *,
                         currency: str, user_id: int | None) -> tuple[TierPrice, bool]:
    tier = await session.scalar(select(Tier).where(Tier.code == tier_code))
    if tier is None:
        raise NotFound(f"no tier with code '{tier_code}'")
    product = await product_by_sku(session, sku)
    price = _price(data, currency, product.floor_price)
    row = await session.scalar(select(TierPrice).where(TierPrice.tier_id == tier.id,
                                                       TierPrice.product_id == product.id))
    created, old = row is None, (row.price if row else None)
    if row is None:
        row = TierPrice(tier_id=tier.id, product_id=product.id, price=price)
        session.add(row)
    row.price = price
    await session.flush()
    if old != price:
        await record_price_change(session, "tier", tier_code, sku, old, price, user_id)
    return row, created


async def set_customer_price(session: AsyncSession, code: str, sku: str, data: dict[str, Any], *,
                             currency: str, user_id: int | None) -> tuple[CustomerPrice, bool]:
    customer = await customer_by_code(session, code)
    product = await product_by_sku(session, sku)
    price = _price(data, currency, product.floor_price)
    row = await session.scalar(select(CustomerPrice).where(CustomerPrice.customer_id == customer.id,
                                                           CustomerPrice.product_id == product.id))
    created, old = row is None, (row.price if row else None)
    if row is None:
        row = CustomerPrice(customer_id=customer.id, product_id=product.id, price=price)
        session.add(row)
    row.price = price
    await session.flush()
    if old != price:
        await record_price_change(session, "customer", code, sku, old, price, user_id)
    return row, created
