"""Bulk price edits (all-or-nothing) and removal of tier/customer prices, with history.

Used by the admin bulk editor and the price imports. Every row is validated;
errors name the row (``price[SKU]``) and nothing is kept when any row is bad:
the caller rolls the transaction back on ``InputError``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.catalog.service import product_by_sku
from qudao.core.customers.models import Tier
from qudao.core.customers.service import customer_by_code
from qudao.core.errors import InputError, NotFound, QudaoError
from qudao.core.pricing.history import record_price_change
from qudao.core.pricing.models import CustomerPrice, TierPrice
from qudao.core.pricing.service import set_customer_price, set_tier_price


async def remove_tier_price(session: AsyncSession, tier_code: str, sku: str, *, user_id: int | None) -> bool:
    tier = await session.scalar(select(Tier).where(Tier.code == tier_code))
    if tier is None:
        raise NotFound(f"no tier with code '{tier_code}'")
    product = await product_by_sku(session, sku)
    row = await session.scalar(select(TierPrice).where(TierPrice.tier_id == tier.id,
                                                       TierPrice.product_id == product.id))
    if row is None:
        return False
    await record_price_change(session, "tier", tier_code, sku, row.price, None, user_id)
    await session.delete(row)
    await session.flush()
    return True


async def remove_customer_price(session: AsyncSession, code: str, sku: str, *, user_id: int | None) -> bool:
    customer = await customer_by_code(session, code)
    product = await product_by_sku(session, sku)
    row = await session.scalar(select(CustomerPrice).where(CustomerPrice.customer_id == customer.id,
                                                           CustomerPrice.product_id == product.id))
    if row is None:
        return False
    await record_price_change(session, "customer", code, sku, row.price, None, user_id)
    await session.delete(row)
    await session.flush()
    return True


async def bulk_tier_prices(session: AsyncSession, tier_code: str, prices: dict[str, str], *, currency: str,
                           user_id: int | None, remove_blank: bool = True) -> int:
    """``prices`` maps SKU → new price text ('' removes the tier price). Returns rows changed."""
    errors: list[dict[str, str]] = []
    changed = 0
    for sku, raw in prices.items():
        try:
            if not str(raw).strip():
                if remove_blank and await remove_tier_price(session, tier_code, sku, user_id=user_id):
                    changed += 1
                continue
            await set_tier_price(session, tier_code, sku, {"price": str(raw).strip()}, currency=currency,
                                 user_id=user_id)
            changed += 1
        except InputError as exc:
            errors.extend({"field": f"price[{sku}]", "message": e["message"]} for e in exc.errors)
        except QudaoError as exc:
            errors.append({"field": f"price[{sku}]", "message": exc.detail})
    if errors:
        raise InputError(errors)
    return changed


async def bulk_customer_prices(session: AsyncSession, rows: list[tuple[str, str, str]], *, currency: str,
                               user_id: int | None) -> int:
    """``rows`` are (customer code, SKU, price text; '' removes)."""
    errors: list[dict[str, str]] = []
    changed = 0
    for code, sku, raw in rows:
        try:
            if not str(raw).strip():
                if await remove_customer_price(session, code, sku, user_id=user_id):
                    changed += 1
                continue
            await set_customer_price(session, code, sku, {"price": str(raw).strip()}, currency=currency,
                                     user_id=user_id)
            changed += 1
        except InputError as exc:
            errors.extend({"field": f"price[{code}/{sku}]", "message": e["message"]} for e in exc.errors)
        except QudaoError as exc:
            errors.append({"field": f"price[{code}/{sku}]", "message": exc.detail})
    if errors:
        raise InputError(errors)
    return changed


def changed_only(current: dict[str, Any], submitted: dict[str, str]) -> dict[str, str]:
    """Keep the rows whose submitted value differs from the current one (as text)."""
    out = {}
    for sku, raw in submitted.items():
        now = current.get(sku)
        now_text = "" if now is None else str(now)
        if str(raw).strip() != now_text:
            out[sku] = raw
    return out
