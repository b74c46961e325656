"""Price history: every change is a row, so past prices can be answered.

``price_changes`` keeps, per SKU, changes of the base, retail, tier and
customer prices and of quantity breaks (scope ``break``, key ``<min_qty>`` or
``<min_qty>@<tier>``), and per policy (sku ``*``) the whole policy as it became
(``detail.policy``; None once deleted) and as it was (``detail.previous``).

``price_on`` answers "what would customer X have paid for SKU Y at moment D"
by replaying that history through the engine's own rules. Limits:

- the customer's tier, type and region are those recorded up to D in
  ``customer_pricing_changes`` (written by a flush listener below whenever a
  customer is created or its tier, type or region changes); customers last
  changed before that table existed use today's; the product's brand and
  category are today's;
- the HQ floor is the latest recorded ``floor`` change up to D when the catalog
  records floor changes, else today's floor;
- a product with no recorded base price up to D had no price then (None);
- plugin adjustments (promotions' special prices, …) are not replayed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import event, inspect, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from qudao.core.catalog.models import Product
from qudao.core.customers.models import Customer, Tier
from qudao.core.db.base import new_id
from qudao.core.pricing.models import CustomerPricingChange, PriceChange

PROFILE = ("tier_id", "type", "region")
_DEFAULT_TYPE = Customer.__table__.c.type.default.arg  # type: ignore[attr-defined]


@event.listens_for(Session, "before_flush")
def _version_customer_profile(session: Session, _ctx: Any, _instances: Any) -> None:
    """Record a customer's tier/type/region whenever it is created or one of them changes."""
    for obj in [*session.new, *session.dirty]:
        if not isinstance(obj, Customer):
            continue
        state = inspect(obj)
        if obj not in session.new and not any(state.attrs[a].history.has_changes() for a in PROFILE):
            continue
        tenant_id = obj.tenant_id if obj.tenant_id is not None else session.info.get("tenant_id")
        if tenant_id is None:
            continue
        if obj.id is None:
            obj.id = new_id()
        ctype = obj.type if obj.type is not None else _DEFAULT_TYPE
        session.add(CustomerPricingChange(tenant_id=tenant_id, customer_id=obj.id, tier_id=obj.tier_id,
                                          type=ctype, region=obj.region))


async def profile_at(session: AsyncSession, customer: Customer, at: datetime) -> tuple[Any, str | None]:
    """The customer as priced at ``at`` (code, type, region) and the code of its tier then."""
    row = await session.scalar(
        select(CustomerPricingChange).where(CustomerPricingChange.customer_id == customer.id,
                                            CustomerPricingChange.changed_at <= at)
        .order_by(CustomerPricingChange.changed_at.desc(), CustomerPricingChange.id.desc()).limit(1))
    tier_id, ctype, region = (customer.tier_id, customer.type, customer.region) if row is None else \
        (row.tier_id, row.type, row.region)
    tier_code = await session.scalar(select(Tier.code).where(Tier.id == tier_id)) if tier_id is not None else None
    return SimpleNamespace(id=customer.id, code=customer.code, type=ctype, region=region,
                           tier_id=tier_id), tier_code


async def record_price_change(session: AsyncSession, scope: str, scope_key: str | None, sku: str,
                              old: Decimal | None, new: Decimal | None, user_id: int | None,
                              detail: dict[str, Any] | None = None) -> None:
    session.add(PriceChange(scope=scope, scope_key=scope_key, sku=sku, old_price=old, new_price=new,
                            changed_by=user_id, detail=detail))
    from qudao.core.audit import record

    target = sku if scope_key is None else (scope_key if sku == "*" else f"{scope_key}/{sku}")
    record(session, f"price.{scope}", target, {"price": old}, {"price": new}, user_id=user_id)


def break_key(min_qty: int, tier_code: str | None) -> str:
    return f"{min_qty}@{tier_code}" if tier_code else str(min_qty)


def parse_break_key(key: str) -> tuple[int, str | None]:
    qty, _, tier = key.partition("@")
    return int(qty), (tier or None)


async def changes_for(session: AsyncSession, sku: str, until: datetime | None = None) -> list[PriceChange]:
    """The SKU's own changes and every policy change, oldest first (one query)."""
    stmt = select(PriceChange).where(or_(PriceChange.sku == sku, PriceChange.scope == "policy"))
    if until is not None:
        stmt = stmt.where(PriceChange.changed_at <= until)
    return list((await session.scalars(stmt.order_by(PriceChange.changed_at, PriceChange.id))).all())


async def price_on(session: AsyncSession, customer: Customer, sku: str, at: datetime, *, qty: int | None = None,
                   currency: str = "CNY") -> Any:
    """What ``customer`` would have paid for ``sku`` at ``at`` (a ResolvedPrice; None: no price then).

    With ``qty`` the quantity breaks in force then apply too, as at a quote.
    """
    from qudao.core.pricing.engine import (
        PolicyRule,
        ResolvedPrice,
        category_ancestry,
        choose,
        load_policy_context,
    )

    if at.tzinfo is None:
        raise ValueError("price_on needs an aware datetime")
    at = at.astimezone(UTC)
    product = await session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        return None
    buyer, tier_code = await profile_at(session, customer, at)
    latest: dict[tuple[str, str | None], PriceChange] = {}
    for change in await changes_for(session, sku, at):
        latest[(change.scope, change.scope_key)] = change

    def value(scope: str, key: str | None) -> Decimal | None:
        row = latest.get((scope, key))
        return None if row is None else row.new_price

    base = value("base", None)
    if base is None:
        return None
    floor = value("floor", None) if ("floor", None) in latest else product.floor_price
    breaks = []
    for (scope, key), row in latest.items():
        if scope == "break" and key and row.new_price is not None:
            min_qty, b_tier = parse_break_key(key)
            breaks.append((min_qty, row.new_price, b_tier))
    rules = []
    for (scope, _key), row in latest.items():
        snap = (row.detail or {}).get("policy") if scope == "policy" else None
        if snap:
            rule = PolicyRule.from_snapshot(snap)
            if rule.valid_at(at) and rule.covers_buyer(buyer, tier_code):  # type: ignore[arg-type]
                rules.append(rule)
    rules.sort(key=PolicyRule.sort_key)
    then = SimpleNamespace(sku=product.sku, price=base, unit=product.unit, brand_id=product.brand_id,
                           category_id=product.category_id)
    brand_codes, parents = await load_policy_context(session, rules, [then]) if rules else ({}, {})  # type: ignore[list-item]
    resolved: ResolvedPrice = choose(
        then, customer_price=value("customer", customer.code),  # type: ignore[arg-type]
        tier_price=value("tier", tier_code) if tier_code else None, policies=rules,
        brand_code=brand_codes.get(product.brand_id) if product.brand_id is not None else None,
        category_codes=category_ancestry(parents, product.category_id), breaks=breaks, qty=qty,
        tier_id=tier_code, floor=floor, currency=currency)  # type: ignore[arg-type]
    return resolved
