"""Reading and replacing brand authorizations; the visibility criterion the checkout applies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.catalog.models import Brand, Product
from qudao.core.customers.models import Customer, Tier
from qudao.core.errors import InputError
from qudao.plugins.brand_isolation.models import BrandAccess

MAX_BRANDS = 1000


def visibility_criterion(customer: Any) -> Any:
    """Products a customer may see: no brand, or a brand authorized to it or to its tier.

    A subquery, so it is evaluated in the same statement as the listing/quote (no extra
    round trip, nothing cached). ``tenant_id`` is spelled out although the session adds it too.
    """
    targets = [BrandAccess.customer_id == customer.id]
    if getattr(customer, "tier_id", None) is not None:
        targets.append(BrandAccess.tier_id == customer.tier_id)
    allowed = select(BrandAccess.brand_id).where(BrandAccess.tenant_id == customer.tenant_id, or_(*targets))
    return or_(Product.brand_id.is_(None), Product.brand_id.in_(allowed))


def parse_brand_codes(data: Any) -> list[str]:
    """``{brands: [code, ...]}`` → a de-duplicated list of codes (shape errors raise InputError)."""
    if not isinstance(data, dict):
        raise InputError("must be a JSON object", field="body")
    raw = data.get("brands")
    if not isinstance(raw, list):
        raise InputError("must be a list of brand codes", field="brands")
    if len(raw) > MAX_BRANDS:
        raise InputError(f"at most {MAX_BRANDS} brands", field="brands")
    errors = []
    codes: list[str] = []
    for i, item in enumerate(raw):
        if not isinstance(item, str) or not item.strip() or len(item) > 64:
            errors.append({"field": f"brands[{i}]", "message": "must be a brand code"})
        elif item.strip() not in codes:
            codes.append(item.strip())
    if errors:
        raise InputError(errors)
    return codes


async def brands_by_code(session: AsyncSession, codes: list[str]) -> list[Brand]:
    """The brands for ``codes``; any unknown code is a 422 naming it (nothing is stored)."""
    found = {b.code: b for b in (await session.scalars(select(Brand).where(Brand.code.in_(codes)))).all()} \
        if codes else {}
    unknown = [{"field": f"brands[{i}]", "message": f"unknown brand '{code}'"}
               for i, code in enumerate(codes) if code not in found]
    if unknown:
        raise InputError(unknown)
    return [found[c] for c in codes]


async def brand_codes_for(session: AsyncSession, *, customer_id: int | None = None,
                          tier_id: int | None = None) -> list[str]:
    stmt = select(Brand.code).join(BrandAccess, BrandAccess.brand_id == Brand.id)
    stmt = stmt.where(BrandAccess.customer_id == customer_id) if customer_id is not None \
        else stmt.where(BrandAccess.tier_id == tier_id)
    return sorted((await session.scalars(stmt)).all())


async def replace_access(session: AsyncSession, brands: list[Brand], *, customer_id: int | None = None,
                         tier_id: int | None = None) -> bool:
    """Replace the whole list for one customer or tier. Returns True when it had none before."""
    assert (customer_id is None) != (tier_id is None)
    target = BrandAccess.customer_id == customer_id if customer_id is not None else BrandAccess.tier_id == tier_id
    # Serialize concurrent replacements of one list (row lock on PostgreSQL; SQLite has one writer).
    owner = (select(Customer.id).where(Customer.id == customer_id) if customer_id is not None
             else select(Tier.id).where(Tier.id == tier_id))
    await session.execute(owner.with_for_update())
    had = await session.scalar(select(BrandAccess.id).where(target).limit(1))
    await session.execute(delete(BrandAccess).where(target).execution_options(synchronize_session=False))
    for brand in brands:
        session.add(BrandAccess(brand_id=brand.id, customer_id=customer_id, tier_id=tier_id))
    await session.flush()
    return had is None


async def access_view(session: AsyncSession, customer: Customer) -> dict[str, Any]:
    tier = await session.get(Tier, (customer.tenant_id, customer.tier_id)) if customer.tier_id else None
    tier_brands = await brand_codes_for(session, tier_id=tier.id) if tier else []
    own = await brand_codes_for(session, customer_id=customer.id)
    return {"customer": customer.code, "brands": own, "tier": tier.code if tier else None,
            "tier_brands": tier_brands, "effective": sorted(set(own) | set(tier_brands))}


async def overview(session: AsyncSession) -> dict[str, Any]:
    """Everything the admin page shows: brands, customers with their lists, tiers with theirs."""
    brands = (await session.scalars(select(Brand).order_by(Brand.code))).all()
    code_of = {b.id: b.code for b in brands}
    rows = (await session.scalars(select(BrandAccess))).all()
    by_customer: dict[int, list[str]] = {}
    by_tier: dict[int, list[str]] = {}
    for r in rows:
        bucket = by_customer.setdefault(r.customer_id, []) if r.customer_id is not None \
            else by_tier.setdefault(r.tier_id, [])  # type: ignore[arg-type]
        bucket.append(code_of.get(r.brand_id, "?"))
    customers = (await session.scalars(select(Customer).order_by(Customer.code).limit(2000))).all()
    tiers = (await session.scalars(select(Tier).order_by(Tier.code))).all()
    tier_code = {t.id: t.code for t in tiers}
    return {
        "brands": brands,
        "customers": [{"code": c.code, "name": c.name, "tier": tier_code.get(c.tier_id) if c.tier_id else None,
                       "brands": sorted(by_customer.get(c.id, [])),
                       "tier_brands": sorted(by_tier.get(c.tier_id, [])) if c.tier_id else []}
                      for c in customers],
        "tiers": [{"code": t.code, "name": t.name, "brands": sorted(by_tier.get(t.id, []))} for t in tiers],
    }
