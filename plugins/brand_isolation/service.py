"""Reading and replacing brand authorizations; the visibility criterion the checkout applies."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.catalog.models import Brand, Product
from qudao.core.customers.models import Customer, Tier
from qudao.core.errors import InputError
from qudao.plugins.brand_isolation.models import BrandAccess, BrandGroupAccess

MAX_BRANDS = 1000
MAX_GROUP_NAME = 64


def visibility_criterion(customer: Any) -> Any:
    """Products a customer may see: no brand, or a brand authorized to it, to its tier or to
    any of its customer groups.

    Subqueries, so it is evaluated in the same statement as the listing/quote (no extra
    round trip, nothing cached). ``tenant_id`` is spelled out although the session adds it too.
    """
    targets = [BrandAccess.customer_id == customer.id]
    if getattr(customer, "tier_id", None) is not None:
        targets.append(BrandAccess.tier_id == customer.tier_id)
    allowed = select(BrandAccess.brand_id).where(BrandAccess.tenant_id == customer.tenant_id, or_(*targets))
    criteria = [Product.brand_id.is_(None), Product.brand_id.in_(allowed)]
    groups = customer_groups(customer)
    if groups:
        by_group = select(BrandGroupAccess.brand_id).where(BrandGroupAccess.tenant_id == customer.tenant_id,
                                                           BrandGroupAccess.group_name.in_(groups))
        criteria.append(Product.brand_id.in_(by_group))
    return or_(*criteria)


def customer_groups(customer: Any) -> list[str]:
    """The customer's group names (``Customer.groups``, a JSON list of strings)."""
    return group_names(getattr(customer, "groups", None))


def group_names(raw: Any) -> list[str]:
    if not isinstance(raw, list):
        return []
    return sorted({g for g in raw if isinstance(g, str) and g})


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
    return await _replace_rows(session, BrandAccess, target,
                               [BrandAccess(brand_id=b.id, customer_id=customer_id, tier_id=tier_id) for b in brands])


async def _replace_rows(session: AsyncSession, model: Any, target: Any, rows: list[Any]) -> bool:
    """Delete the grants matching ``target`` and add ``rows``; True when there were none before."""
    had = await session.scalar(select(model.id).where(target).limit(1))
    await session.execute(delete(model).where(target).execution_options(synchronize_session=False))
    session.add_all(rows)
    await session.flush()
    return had is None


# --- customer groups -------------------------------------------------------------------


async def known_groups(session: AsyncSession) -> list[str]:
    """Every group name some customer of the tenant is in (``Customer.groups`` is free text)."""
    names: set[str] = set()
    for groups in (await session.scalars(select(Customer.groups))).all():
        names.update(group_names(groups))
    return sorted(names)


def parse_group_name(name: Any, field: str = "group") -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_GROUP_NAME or "\x00" in name:
        raise InputError(f"must be a customer group name of 1-{MAX_GROUP_NAME} characters", field=field)
    return name  # exact: group names are matched as the customers carry them


async def group_by_name(session: AsyncSession, name: Any, field: str = "group") -> str:
    """A group that exists (some customer is in it); an unknown name is a 422 naming it."""
    group = parse_group_name(name, field)
    if group not in await known_groups(session):
        raise InputError(f"unknown customer group '{group}' (no customer is in it)", field=field)
    return group


async def group_brand_codes(session: AsyncSession, group: str) -> list[str]:
    stmt = (select(Brand.code).join(BrandGroupAccess, BrandGroupAccess.brand_id == Brand.id)
            .where(BrandGroupAccess.group_name == group))
    return sorted((await session.scalars(stmt)).all())


async def groups_with_access(session: AsyncSession) -> list[str]:
    return sorted((await session.scalars(select(BrandGroupAccess.group_name).distinct())).all())


async def replace_group_access(session: AsyncSession, group: str, brands: list[Brand]) -> bool:
    """Replace the brands of one customer group. Returns True when it had none before."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        # no row owns a group: serialize concurrent replacements with a transaction lock
        digest = hashlib.sha256(f"brand_isolation:group:{group}".encode()).digest()
        await session.execute(select(func.pg_advisory_xact_lock(int.from_bytes(digest[:8], "big", signed=True))))
    return await _replace_rows(session, BrandGroupAccess, BrandGroupAccess.group_name == group,
                               [BrandGroupAccess(group_name=group, brand_id=b.id) for b in brands])


async def group_view(session: AsyncSession, group: str) -> dict[str, Any]:
    return {"group": group, "brands": await group_brand_codes(session, group)}


async def _group_brands(session: AsyncSession, groups: list[str]) -> dict[str, list[str]]:
    if not groups:
        return {}
    rows = await session.execute(
        select(BrandGroupAccess.group_name, Brand.code).join(Brand, Brand.id == BrandGroupAccess.brand_id)
        .where(BrandGroupAccess.group_name.in_(groups)))
    out: dict[str, list[str]] = {}
    for name, code in rows.all():
        out.setdefault(name, []).append(code)
    return {k: sorted(v) for k, v in out.items()}


async def access_view(session: AsyncSession, customer: Customer) -> dict[str, Any]:
    tier = await session.get(Tier, (customer.tenant_id, customer.tier_id)) if customer.tier_id else None
    tier_brands = await brand_codes_for(session, tier_id=tier.id) if tier else []
    own = await brand_codes_for(session, customer_id=customer.id)
    groups = customer_groups(customer)
    by_group = await _group_brands(session, groups)
    group_brands = sorted({code for codes in by_group.values() for code in codes})
    return {"customer": customer.code, "brands": own, "tier": tier.code if tier else None,
            "tier_brands": tier_brands, "groups": groups, "group_brands": group_brands,
            "effective": sorted(set(own) | set(tier_brands) | set(group_brands))}


async def overview(session: AsyncSession) -> dict[str, Any]:
    """Everything the admin page shows: brands, customers with their lists, tiers and groups with theirs."""
    brands = (await session.scalars(select(Brand).order_by(Brand.code))).all()
    code_of = {b.id: b.code for b in brands}
    rows = (await session.scalars(select(BrandAccess))).all()
    by_customer: dict[int, list[str]] = {}
    by_tier: dict[int, list[str]] = {}
    for r in rows:
        bucket = by_customer.setdefault(r.customer_id, []) if r.customer_id is not None \
            else by_tier.setdefault(r.tier_id, [])  # type: ignore[arg-type]
        bucket.append(code_of.get(r.brand_id, "?"))
    by_group: dict[str, list[str]] = {}
    for g in (await session.scalars(select(BrandGroupAccess))).all():
        by_group.setdefault(g.group_name, []).append(code_of.get(g.brand_id, "?"))
    customers = (await session.scalars(select(Customer).order_by(Customer.code).limit(2000))).all()
    tiers = (await session.scalars(select(Tier).order_by(Tier.code))).all()
    tier_code = {t.id: t.code for t in tiers}
    members: dict[str, int] = {}
    for groups in (await session.scalars(select(Customer.groups))).all():
        for name in group_names(groups):
            members[name] = members.get(name, 0) + 1
    return {
        "brands": brands,
        "customers": [{"code": c.code, "name": c.name, "tier": tier_code.get(c.tier_id) if c.tier_id else None,
                       "brands": sorted(by_customer.get(c.id, [])),
                       "tier_brands": sorted(by_tier.get(c.tier_id, [])) if c.tier_id else [],
                       "groups": customer_groups(c),
                       "group_brands": sorted({b for g in customer_groups(c) for b in by_group.get(g, [])})}
                      for c in customers],
        "tiers": [{"code": t.code, "name": t.name, "brands": sorted(by_tier.get(t.id, []))} for t in tiers],
        "groups": [{"code": name, "customers": members.get(name, 0), "brands": sorted(by_group.get(name, []))}
                   for name in sorted(set(members) | set(by_group))],
    }
