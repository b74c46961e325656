"""The price checker page's logic: "customer X, SKU Y, date D (qty N) → price and which rule set it".

Today's answer comes from the price engine (``resolve_prices``); a past date is
replayed from the price history with ``price_on`` at the end of that day in the
tenant's time zone (the customer's tier, type and region are today's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.catalog.service import product_by_sku
from qudao.core.customers.models import Customer, Tier
from qudao.core.customers.service import customer_by_code
from qudao.core.errors import InputError
from qudao.core.pricing.engine import resolve_prices
from qudao.core.pricing.history import price_on


@dataclass
class PriceAnswer:
    price: Decimal | None
    source: str  # customer | tier | base | policy:<code> | break | none
    label: str
    detail: str
    floored: bool = False
    at: datetime | None = None


def parse_day(raw: str | None, tz: str) -> date | None:
    if raw is None or not str(raw).strip():
        return None
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise InputError("must be a date as YYYY-MM-DD", field="date") from None


def parse_qty(raw: str | None) -> int | None:
    if raw is None or not str(raw).strip():
        return None
    text = str(raw).strip()
    if not text.isdigit() or not 1 <= int(text) <= 1_000_000:
        raise InputError("must be a whole number from 1 to 1000000", field="qty")
    return int(text)


def _detail(source: str, customer: Customer, tier: Tier | None) -> str:
    if source == "customer":
        return f"customer price of {customer.code}"
    if source == "tier":
        return f"tier price of {tier.code if tier else '?'}"
    if source == "base":
        return "the product's base price (no customer price, tier price or policy)"
    if source.startswith("policy:"):
        return f"price policy {source.split(':', 1)[1]}"
    if source == "break":
        return "a quantity break"
    return source


async def check_price(session: AsyncSession, customer_code: str, sku: str, day: date | None, *, tz: str,
                      currency: str, qty: int | None = None) -> tuple[Customer, PriceAnswer]:
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
    if day is not None and day > today:
        raise InputError("must not be in the future", field="date")
    if day is None or day == today:
        resolved = (await resolve_prices(session, [product], customer=customer, currency=currency,
                                         quantities={product.id: qty} if qty else None))[product.id]
        at = None
    else:
        at = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC) - timedelta(
            microseconds=1)
        resolved = await price_on(session, customer, product.sku, at, qty=qty, currency=currency)
    if resolved is None:
        return customer, PriceAnswer(None, "none", "No price", "the product had no price then", at=at)
    return customer, PriceAnswer(resolved.price, resolved.source, resolved.label,
                                 _detail(resolved.source, customer, tier), bool(getattr(resolved, "floored", False)),
                                 at)
