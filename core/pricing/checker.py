"""The price checker: "customer X, SKU Y, date D → price and which rule set it".

Today's answer comes from the price engine itself. A past date is answered from
the price history by ``history.price_on`` at the end of that day in the tenant's
time zone (customer price, policies, tier price, base price as recorded then).
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
from qudao.core.pricing.engine import resolve_prices
from qudao.core.pricing.history import price_on
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass
class PriceAnswer:
    price: Decimal | None
    source: str  # customer | policy:<code> | tier | base | none
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
        return customer, PriceAnswer(resolved.price, resolved.source, resolved.label,
                                     _detail(resolved.source, customer, tier))
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC) - timedelta(microseconds=1)
    past = await price_on(session, customer, product.sku, end, currency=currency)
    if past is None:
        return customer, PriceAnswer(None, "none", "No price", "the product had no price on that date")
    return customer, PriceAnswer(past.price, past.source, past.label, _detail(past.source, customer, tier, past=True))


def _detail(source: str, customer: Customer, tier: Tier | None, *, past: bool = False) -> str:
    if source.startswith("policy:"):
        return f"price policy {source[7:]} (highest priority in scope)"
    return {"customer": f"customer price of {customer.code}",
            "tier": f"tier price of {tier.code if tier else '?'}" + (" (today's tier)" if past else ""),
            "break": "a quantity break",
            "base": "the product's base price (no customer price, policy or tier price)"}.get(source, "")
