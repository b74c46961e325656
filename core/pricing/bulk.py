"""Bulk price edits (all-or-nothing) and removal of tier/customer prices, with history.

Used by the admin bulk editor and the price imports. Every row is validated;
errors name the row (``price[SKU]``) and nothing is kept when any row is bad:
the caller rolls the transaction back on ``InputError``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.catalog.service import product_by_sku
from qudao.core.customers.models import Tier
from qudao.core.customers.service import customer_by_code
from qudao.core.errors import InputError, NotFound, QudaoError
from qudao.core.pricing.history import record_price_change
from qudao.core.pricing.models import CustomerPrice, TierPrice
from qudao.core.pricing.service import price_row, set_customer_price, set_tier_price


async def remove_tier_price(session: AsyncSession, tier_code: str, sku: str, *, user_id: int | None) -> bool:
    tier = await session.scalar(select(Tier).where(Tier.code == tier_code))
    if tier is None:
        raise NotFound(f"no tier with code '{tier_code}'")
    return await _remove_price(session, TierPrice, {"tier_id": tier.id}, ("tier", tier_code), sku, user_id)


async def remove_customer_price(session: AsyncSession, code: str, sku: str, *, user_id: int | None) -> bool:
    customer = await customer_by_code(session, code)
    return await _remove_price(session, CustomerPrice, {"customer_id": customer.id}, ("customer", code), sku,
                               user_id)


async def _remove_price(session: AsyncSession, model: Any, owner: dict[str, int], target: tuple[str, str],
                        sku: str, user_id: int | None) -> bool:
    """Delete the price row of (owner, SKU), written to the price history; False if there was none."""
    product = await product_by_sku(session, sku)
    row = await price_row(session, model, owner, product.id)
    if row is None:
        return False
    await record_price_change(session, target[0], target[1], sku, row.price, None, user_id)
    await session.delete(row)
    await session.flush()
    return True


async def _apply_all(entries: list[tuple[str, str, Callable[[], Awaitable[bool]],
                                          Callable[[str], Awaitable[None]]]]) -> int:
    """Set each ``(name, price text, remove, put)``: blank text removes, else puts. Every refusal is
    collected as ``price[name]``; any refusal raises them all (the caller rolls back). Returns rows
    changed."""
    errors: list[dict[str, str]] = []
    changed = 0
    for name, raw, remove, put in entries:
        try:
            if not str(raw).strip():
                if await remove():
                    changed += 1
                continue
            await put(str(raw).strip())
            changed += 1
        except InputError as exc:
            errors.extend({"field": f"price[{name}]", "message": e["message"]} for e in exc.errors)
        except QudaoError as exc:
            errors.append({"field": f"price[{name}]", "message": exc.detail})
    if errors:
        raise InputError(errors)
    return changed


async def bulk_tier_prices(session: AsyncSession, tier_code: str, prices: dict[str, str], *, currency: str,
                           user_id: int | None, remove_blank: bool = True) -> int:
    """``prices`` maps SKU → new price text ('' removes the tier price). Returns rows changed."""
    async def remove(sku: str) -> bool:
        return remove_blank and await remove_tier_price(session, tier_code, sku, user_id=user_id)

    async def put(sku: str, price: str) -> None:
        await set_tier_price(session, tier_code, sku, {"price": price}, currency=currency, user_id=user_id)

    return await _apply_all([(sku, raw, partial(remove, sku), partial(put, sku)) for sku, raw in prices.items()])


async def bulk_customer_prices(session: AsyncSession, rows: list[tuple[str, str, str]], *, currency: str,
                               user_id: int | None) -> int:
    """``rows`` are (customer code, SKU, price text; '' removes)."""
    async def remove(code: str, sku: str) -> bool:
        return await remove_customer_price(session, code, sku, user_id=user_id)

    async def put(code: str, sku: str, price: str) -> None:
        await set_customer_price(session, code, sku, {"price": price}, currency=currency, user_id=user_id)

    return await _apply_all([(f"{code}/{sku}", raw, partial(remove, code, sku), partial(put, code, sku))
                             for code, sku, raw in rows])


def changed_only(current: dict[str, Any], submitted: dict[str, str]) -> dict[str, str]:
    """Keep the rows whose submitted value differs from the current one (as text)."""
    out = {}
    for sku, raw in submitted.items():
        now = current.get(sku)
        now_text = "" if now is None else str(now)
        if str(raw).strip() != now_text:
            out[sku] = raw
    return out
