"""Prices in a file: tier prices and customer prices, one row per (kind, target, SKU), applied
with ``set_tier_price`` / ``set_customer_price`` (the API's own)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.catalog.models import Product
from qudao.core.customers.models import Customer, Tier
from qudao.core.errors import InputError, QudaoError
from qudao.core.imports.rows import SKIP, Domain, ImportResult, Progress, Record, each_row
from qudao.core.pricing.models import CustomerPrice, TierPrice
from qudao.core.pricing.service import set_customer_price, set_tier_price

COLUMNS = ("kind", "target", "sku", "price")
REQUIRED = ("target", "sku", "price")


async def apply(session: AsyncSession, recs: list[Record], result: ImportResult, *, currency: str,
                user_id: int | None, progress: Progress | None) -> None:
    seen: dict[tuple[str, str, str], int] = {}

    async def one(number: int, rec: dict[str, str]) -> Any:
        kind, target, sku = rec.get("kind", "").lower(), rec.get("target", ""), rec.get("sku", "")
        key = (kind, target, sku)
        if key in seen:
            result.error(number, "sku", f"this {kind} price appears again (first on row {seen[key]})")
            return SKIP
        seen[key] = number
        if kind not in ("tier", "customer"):
            result.error(number, "kind", "must be tier or customer")
            return SKIP
        for col in REQUIRED:
            if not rec.get(col):
                result.error(number, col, "is required")
        if not all(rec.get(c) for c in REQUIRED):
            return SKIP
        setter = set_tier_price if kind == "tier" else set_customer_price
        try:
            _, created = await setter(session, target, sku, {"price": rec["price"]}, currency=currency,
                                      user_id=user_id)
        except InputError:
            raise
        except QudaoError as exc:  # not found: the SKU or the tier/customer
            result.error(number, "sku" if "SKU" in exc.detail else "target", exc.detail)
            return SKIP
        return bool(created)

    await each_row(recs, result, one, progress)


async def export(session: AsyncSession) -> list[list[Any]]:
    skus = dict((await session.execute(select(Product.id, Product.sku))).all())
    tiers = dict((await session.execute(select(Tier.id, Tier.code))).all())
    custs = dict((await session.execute(select(Customer.id, Customer.code))).all())
    rows = [["tier", tiers.get(t.tier_id), skus.get(t.product_id), t.price]
            for t in (await session.scalars(select(TierPrice))).all()]
    rows += [["customer", custs.get(c.customer_id), skus.get(c.product_id), c.price]
             for c in (await session.scalars(select(CustomerPrice))).all()]
    rows.sort(key=lambda r: (r[0], r[1] or "", r[2] or ""))
    return rows


DOMAIN = Domain(
    kind="prices", columns=COLUMNS, required=("kind", "target", "sku", "price"), key=None, apply=apply,
    export=export, example=[["tier", "GOLD", "SKU-001", "11.00"], ["customer", "S001", "SKU-001", "10.80"]],
)
