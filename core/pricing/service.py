"""Tier and customer price and quantity break writes (with history and the HQ price floor)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.catalog.service import product_by_sku
from qudao.core.customers.models import Tier
from qudao.core.customers.service import customer_by_code
from qudao.core.errors import InputError, NotFound
from qudao.core.pricing.history import break_key, record_price_change
from qudao.core.pricing.models import CustomerPrice, PriceBreak, TierPrice
from qudao.core.validation import Fields


def _price(data: dict[str, Any], currency: str, floor: Decimal | None) -> Decimal:
    f = Fields(data)
    price = f.money("price", currency, required=True)
    f.check()
    assert price is not None
    if floor is not None and price < floor:
        raise InputError(f"is below the price floor {floor}", field="price")
    return price


async def price_row(session: AsyncSession, model: Any, owner: dict[str, int], product_id: int) -> Any:
    """The price row of one owner (``{"tier_id": …}`` or ``{"customer_id": …}``) for a product."""
    (owner_column, owner_id), = owner.items()
    return await session.scalar(select(model).where(getattr(model, owner_column) == owner_id,
                                                    model.product_id == product_id))


async def _set_price(session: AsyncSession, model: Any, owner: dict[str, int], target: tuple[str, str], sku: str,
                     data: dict[str, Any], *, currency: str, user_id: int | None) -> tuple[Any, bool]:
    """Create or change the price row of (owner, SKU); a change is written to the price history
    as ``target`` (kind, code)."""
    product = await product_by_sku(session, sku)
    price = _price(data, currency, product.floor_price)
    row = await price_row(session, model, owner, product.id)
    created, old = row is None, (row.price if row else None)
    if row is None:
        row = model(**owner, product_id=product.id, price=price)
        session.add(row)
    row.price = price
    await session.flush()
    if old != price:
        await record_price_change(session, target[0], target[1], sku, old, price, user_id)
    return row, created


async def set_tier_price(session: AsyncSession, tier_code: str, sku: str, data: dict[str, Any], *,
                         currency: str, user_id: int | None) -> tuple[TierPrice, bool]:
    tier = await session.scalar(select(Tier).where(Tier.code == tier_code))
    if tier is None:
        raise NotFound(f"no tier with code '{tier_code}'")
    return await _set_price(session, TierPrice, {"tier_id": tier.id}, ("tier", tier_code), sku, data,
                            currency=currency, user_id=user_id)


async def set_customer_price(session: AsyncSession, code: str, sku: str, data: dict[str, Any], *,
                             currency: str, user_id: int | None) -> tuple[CustomerPrice, bool]:
    customer = await customer_by_code(session, code)
    return await _set_price(session, CustomerPrice, {"customer_id": customer.id}, ("customer", code), sku, data,
                            currency=currency, user_id=user_id)


MAX_BREAKS = 100


async def breaks_of(session: AsyncSession, product_id: int) -> list[tuple[PriceBreak, str | None]]:
    rows = (await session.execute(
        select(PriceBreak, Tier.code).outerjoin(Tier, (Tier.id == PriceBreak.tier_id)
                                                & (Tier.tenant_id == PriceBreak.tenant_id))
        .where(PriceBreak.product_id == product_id))).all()
    return sorted(((b, code) for b, code in rows), key=lambda r: (r[1] or "", r[0].min_qty))


def break_view(b: PriceBreak, tier_code: str | None) -> dict[str, Any]:
    return {"min_qty": b.min_qty, "price": str(b.price), "tier": tier_code}


async def set_breaks(session: AsyncSession, sku: str, data: dict[str, Any], *, currency: str,
                     user_id: int | None) -> tuple[list[dict[str, Any]], bool]:
    """Replace the SKU's quantity breaks with ``data["breaks"]``: ``[{min_qty, price, tier?}]``.

    ``min_qty`` is at least 2 (from one unit on, that is simply a price); a tier may
    have its own ladder; no price below the HQ floor; (tier, min_qty) unique.
    Returns the new list and whether the SKU had no breaks before.
    """
    product = await product_by_sku(session, sku)
    f = Fields(data)
    for key in data:
        if key != "breaks":
            f.error(key, "is not a field of quantity breaks")
    raw = data.get("breaks")
    if not isinstance(raw, list):
        f.error("breaks", "must be a list of {min_qty, price, tier?}")
        raw = []
    if len(raw) > MAX_BREAKS:
        f.error("breaks", f"must have at most {MAX_BREAKS} entries")
        raw = []
    tier_codes = {str(item.get("tier")).strip() for item in raw
                  if isinstance(item, dict) and isinstance(item.get("tier"), str) and item.get("tier").strip()}
    tiers = dict((await session.execute(select(Tier.code, Tier.id).where(Tier.code.in_(tier_codes)))).all()) \
        if tier_codes else {}
    wanted: list[tuple[int, Decimal, str | None]] = []
    seen: set[tuple[str | None, int]] = set()
    for i, item in enumerate(raw):
        name = f"breaks[{i}]"
        if not isinstance(item, dict):
            f.error(name, "must be an object {min_qty, price, tier?}")
            continue
        g = Fields(item)
        for key in item:
            if key not in ("min_qty", "price", "tier"):
                g.error(key, "is not a field of a quantity break")
        min_qty = g.integer("min_qty", required=True, minimum=2, maximum=1_000_000)
        price = g.money("price", currency, required=True)
        tier = g.text("tier", max_len=64)
        if tier is not None and tier not in tiers:
            g.error("tier", f"unknown tier '{tier}'")
        if price is not None and product.floor_price is not None and price < product.floor_price:
            g.error("price", f"is below the HQ price floor {product.floor_price} of {sku}")
        if min_qty is not None and (tier, min_qty) in seen:
            g.error("min_qty", f"{min_qty} is given twice" + (f" for tier {tier}" if tier else ""))
        for e in g.errors:
            f.error(f"{name}.{e['field']}", e["message"])
        if not g.errors and min_qty is not None and price is not None:
            seen.add((tier, min_qty))
            wanted.append((min_qty, price, tier))
    f.check()
    old_rows = await breaks_of(session, product.id)
    old = {break_key(b.min_qty, code): b.price for b, code in old_rows}
    for b, _code in old_rows:
        await session.delete(b)
    await session.flush()
    new: dict[str, Decimal] = {}
    for min_qty, price, tier in wanted:
        session.add(PriceBreak(product_id=product.id, min_qty=min_qty, price=price,
                               tier_id=tiers[tier] if tier else None))
        new[break_key(min_qty, tier)] = price
    await session.flush()
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            await record_price_change(session, "break", key, sku, old.get(key), new.get(key), user_id)
    rows = await breaks_of(session, product.id)
    return [break_view(b, code) for b, code in rows], not old_rows
