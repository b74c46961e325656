"""Price policies: validation, upsert and delete, each change versioned in the price history.

Body of ``PUT /price-policies/{code}`` (a PUT replaces the whole policy)::

    {name, priority?=0, valid_from?, valid_until?,            # ISO 8601 with offset; until is exclusive
     skus?, categories?, brands?,                             # product scope (any); none = every product
     customers?, tiers?, customer_types?, regions?,           # buyer scope (all given); none = everyone
     price? | percent?,                                       # exactly one: fixed, or % of base price
     active?=true}

Every code must exist; no product in scope may end up below its HQ price floor.
Errors name the field; nothing is stored when any is wrong.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.catalog.models import Brand, Category, Product
from qudao.core.customers.models import CUSTOMER_TYPES, Customer, Tier
from qudao.core.errors import NotFound
from qudao.core.money import quantize
from qudao.core.pricing.engine import HUNDRED
from qudao.core.pricing.history import record_price_change
from qudao.core.pricing.models import PricePolicy
from qudao.core.validation import Fields, check_code

FIELDS = ("name", "priority", "valid_from", "valid_until", "skus", "categories", "brands", "customers", "tiers",
          "customer_types", "regions", "price", "percent", "active")
LIST_FIELDS = ("skus", "categories", "brands", "customers", "tiers", "customer_types", "regions")
MAX_LIST = 1000
MAX_PERCENT = Decimal(1000)


def parse_when(f: Fields, name: str) -> datetime | None:
    raw = f.data.get(name)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        f.error(name, "must be an ISO 8601 date-time with offset, e.g. 2025-01-01T00:00:00+08:00")
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        f.error(name, "must be an ISO 8601 date-time with offset, e.g. 2025-01-01T00:00:00+08:00")
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        f.error(name, "must include a UTC offset (e.g. +08:00 or Z)")
        return None
    return value.astimezone(UTC)


def parse_percent(f: Fields) -> Decimal | None:
    raw = f.data.get("percent")
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        f.error("percent", "must be a number such as \"85\" or \"87.5\"")
        return None
    try:
        value = Decimal(repr(raw) if isinstance(raw, float) else str(raw).strip())
    except InvalidOperation:
        f.error("percent", "must be a number such as \"85\" or \"87.5\"")
        return None
    if not value.is_finite() or value <= 0 or value > MAX_PERCENT:
        f.error("percent", f"must be more than 0 and at most {MAX_PERCENT}")
        return None
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        f.error("percent", "has more than 2 decimal places")
        return None
    return value


async def _check_codes(session: AsyncSession, f: Fields, name: str, values: list[str], column: Any,
                       what: str) -> None:
    if not values:
        return
    found = set((await session.scalars(select(column).where(column.in_(values)))).all())
    for i, v in enumerate(values):
        if v not in found:
            f.error(f"{name}[{i}]", f"unknown {what} '{v}'")


async def products_in_scope(session: AsyncSession, skus: list[str], categories: list[str],
                            brands: list[str], *, with_floor: bool = False) -> list[Product]:
    """Products a policy's product scope covers (sub-categories included)."""
    stmt = select(Product)
    if with_floor:
        stmt = stmt.where(Product.floor_price.is_not(None))
    if skus or categories or brands:
        conds: list[Any] = []
        if skus:
            conds.append(Product.sku.in_(skus))
        if brands:
            conds.append(Product.brand_id.in_(select(Brand.id).where(Brand.code.in_(brands))))
        if categories:
            tree = (await session.execute(select(Category.id, Category.code, Category.parent_id))).all()
            children: dict[int | None, list[int]] = {}
            for cid, _code, parent in tree:
                children.setdefault(parent, []).append(cid)
            todo = [cid for cid, code, _p in tree if code in categories]
            ids: set[int] = set()
            while todo:
                cid = todo.pop()
                if cid not in ids:
                    ids.add(cid)
                    todo.extend(children.get(cid, []))
            if ids:
                conds.append(Product.category_id.in_(ids))
        if not conds:
            return []
        stmt = stmt.where(or_(*conds))
    return list((await session.scalars(stmt)).all())


def snapshot(p: PricePolicy) -> dict[str, Any]:
    """The policy as the API shows it (and as the history keeps it)."""
    return {
        "code": p.code, "name": p.name, "priority": p.priority,
        "valid_from": p.valid_from.isoformat() if p.valid_from else None,
        "valid_until": p.valid_until.isoformat() if p.valid_until else None,
        **{k: list(getattr(p, k) or []) for k in LIST_FIELDS},
        "price": None if p.price is None else str(p.price),
        "percent": None if p.percent is None else f"{Decimal(p.percent).normalize():f}",
        "active": bool(p.active),
    }


async def policy_by_code(session: AsyncSession, code: str) -> PricePolicy:
    policy = await session.scalar(select(PricePolicy).where(PricePolicy.code == code))
    if policy is None:
        raise NotFound(f"no price policy with code '{code}'")
    return policy


async def upsert_policy(session: AsyncSession, code: str, data: dict[str, Any], *, currency: str,
                        user_id: int | None) -> tuple[PricePolicy, bool]:
    check_code(code)
    f = Fields(data)
    for key in data:
        if key not in FIELDS:
            f.error(key, "is not a field of a price policy")
    name = f.text("name", required=True, max_len=200)
    priority = f.integer("priority", minimum=-1_000_000, maximum=1_000_000)
    valid_from = parse_when(f, "valid_from")
    valid_until = parse_when(f, "valid_until")
    if valid_from and valid_until and valid_until <= valid_from:
        f.error("valid_until", "must be after valid_from")
    lists = {k: f.code_items(k, max_items=MAX_LIST, max_len=200 if k == "regions" else 64,
                             choices=CUSTOMER_TYPES if k == "customer_types" else None)
             for k in LIST_FIELDS}
    lists["regions"] = [r.strip("/") for r in lists["regions"]]
    price = f.money("price", currency)
    percent = parse_percent(f)
    has_price = data.get("price") not in (None, "")
    has_percent = data.get("percent") not in (None, "")
    if has_price == has_percent:
        f.error("price", "give either a fixed price or a percent of the base price (not both)")
    active = f.boolean("active", default=True)
    await _check_codes(session, f, "skus", lists["skus"], Product.sku, "SKU")
    await _check_codes(session, f, "categories", lists["categories"], Category.code, "category")
    await _check_codes(session, f, "brands", lists["brands"], Brand.code, "brand")
    await _check_codes(session, f, "customers", lists["customers"], Customer.code, "customer")
    await _check_codes(session, f, "tiers", lists["tiers"], Tier.code, "tier")
    if not f.errors and (price is not None or percent is not None):
        below: list[str] = []
        for p in await products_in_scope(session, lists["skus"], lists["categories"], lists["brands"],
                                         with_floor=True):
            assert p.floor_price is not None
            value = price if price is not None else quantize(p.price * percent / HUNDRED, currency)  # type: ignore[operator]
            if value < p.floor_price:
                below.append(f"{p.sku} (floor {p.floor_price}, policy price {value})")
        if below:
            more = f" and {len(below) - 5} more" if len(below) > 5 else ""
            f.error("price" if price is not None else "percent",
                    "is below the HQ price floor of " + ", ".join(below[:5]) + more)
    f.check()
    policy = await session.scalar(select(PricePolicy).where(PricePolicy.code == code))
    created = policy is None
    before = None if policy is None else snapshot(policy)
    if policy is None:
        policy = PricePolicy(code=code)
        session.add(policy)
    policy.name = name  # type: ignore[assignment]
    policy.priority = priority or 0
    policy.valid_from, policy.valid_until = valid_from, valid_until
    for k, v in lists.items():
        setattr(policy, k, v)
    policy.price, policy.percent = price, percent
    policy.active = bool(active)
    await session.flush()
    after = snapshot(policy)
    if before != after:
        await record_price_change(session, "policy", code, "*", _fixed(before), policy.price, user_id,
                                  detail={"policy": after, "previous": before})
    return policy, created


def _fixed(snap: dict[str, Any] | None) -> Decimal | None:
    return Decimal(snap["price"]) if snap and snap.get("price") is not None else None


async def delete_policy(session: AsyncSession, code: str, *, user_id: int | None) -> None:
    policy = await policy_by_code(session, code)
    before = snapshot(policy)
    await session.delete(policy)
    await session.flush()
    await record_price_change(session, "policy", code, "*", _fixed(before), None, user_id,
                              detail={"policy": None, "previous": before})


async def list_policies(session: AsyncSession) -> list[PricePolicy]:
    return list((await session.scalars(
        select(PricePolicy).order_by(PricePolicy.priority.desc(), PricePolicy.code))).all())
