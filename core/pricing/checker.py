"""The price checker: "customer X, SKU Y, date D → price and which rule set it".

Today's answer comes from the price engine itself. A past date is answered from
the price history (``PriceChange``): the last customer price, else tier price,
else base price recorded up to the end of that day in the tenant's time zone.
The customer's tier is today's tier (tier membership is not versioned).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from qudao.core.catalog.service import product_by_sku
from qudao.core.customers.models import Customer, Tier
from qudao.core.customers.service import customer_by_code
from qudao.core.errors import InputError
from qudao.core.money import quantize
from qudao.core.pricing.engine import resolve_prices
from qudao.core.pricing.models import PriceChange
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass
class PriceAnswer:
    price: Decimal | None
    source: str  # customer | tier | base | none
    label: str
    detail: str
    changed_at: datetime | None = None


def parse_day(raw: str | None, tz: str) -> date | None:
    if raw is None or not str(raw).strip():
        return None
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise InputError("must be a date as YYYY-MM-DD", field="date") from None


async def check_price(session: AsyncSession, customer_code: str, sku: str, day: date | None, *, tz: str,
                      currency: str) -> tuple[Customer, PriceAnswer]:
    errors = []
    if not customer_code.strip():
        errors.append({"field": "customer", "message": "is required"})
    if not sku.strip():
        errors.append({"field": "sku", "message": "is required"})
    if errors:
        raise InputError(errors)
    customer = await customer_by_code(session, customer_code.strip())
    product = await product_by_sku(session, sku.strip())
    tier = await session.get(Tier, (customer.tenant_id, customer.tier_id)) if customer.tier_id else None
    zone = ZoneInfo(tz)
    today = datetime.now(UTC).astimezone(zone).date()
    if day is None or day >= today:
        if day is not None and day > today:
            raise InputError("must not be in the future", field="date")
        resolved = (await resolve_prices(session, [product], customer=customer, currency=currency))[product.id]
        assert resolved is not None
        detail = {"customer": f"customer price of {customer.code}",
                  "tier": f"tier price of {tier.code if tier else '?'}",
                  "base": "the product's base price (no customer or tier price)"}.get(resolved.source, "")
        return customer, PriceAnswer(resolved.price, resolved.source, resolved.label, detail)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    candidates = [("customer", customer.code, "Customer price", f"customer price of {customer.code}")]
    if tier is not None:
        candidates.append(("tier", tier.code, "Tier price", f"tier price of {tier.code} (today's tier)"))
    candidates.append(("base", None, "Base price", "the product's base price"))
    for scope, key, label, detail in candidates:
        stmt = (select(PriceChange).where(PriceChange.sku == product.sku, PriceChange.scope == scope,
                                          PriceChange.changed_at < end)
                .order_by(PriceChange.changed_at.desc(), PriceChange.id.desc()).limit(1))
        if key is not None:
            stmt = stmt.where(PriceChange.scope_key == key)
        change = await session.scalar(stmt)
        if change is not None and change.new_price is not None:
            return customer, PriceAnswer(quantize(change.new_price, currency), scope, label, detail,
                                         change.changed_at)
    return customer, PriceAnswer(None, "none", "No price", "the product had no price on that date")
