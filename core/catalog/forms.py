"""Product form semantics on top of ``upsert_product`` (shared by the admin pages).

A form always sends every field, so an empty optional text field means "clear
it" (the JSON API leaves omitted fields alone instead).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.catalog.models import Product
from qudao.core.catalog.search import search_key
from qudao.core.catalog.service import upsert_product
from qudao.core.errors import InputError

CLEARABLE = ("spec", "barcode", "erp_code", "description")
TEXT_FIELDS = ("name", "price", "retail_price", "floor_price", "brand", "category", "unit", "spec", "barcode",
               "erp_code", "min_qty", "order_multiple", "description")


def product_data_from_form(form: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key in TEXT_FIELDS:
        value = form.get(key)
        if not isinstance(value, str):
            continue
        if key in ("min_qty", "order_multiple") and not value.strip():
            continue
        data[key] = value
    if isinstance(form.get("tags"), str):
        data["tags"] = [t.strip() for t in form["tags"].replace("，", ",").split(",") if t.strip()][:50]
    for key in ("active", "featured"):
        if key in form:
            data[key] = str(form.get(key)).lower() in ("true", "on", "1", "yes")
    return data


async def save_product_form(session: AsyncSession, sku: str, form: dict[str, Any], *, currency: str,
                            user_id: int | None, creating: bool) -> tuple[Product, bool]:
    data = product_data_from_form(form)
    errors = []
    if not creating:
        for key in ("name", "price"):
            if not str(data.get(key) or "").strip():
                errors.append({"field": key, "message": "is required"})
    if errors:
        raise InputError(errors)
    if creating:
        from sqlalchemy import select

        if await session.scalar(select(Product.id).where(Product.sku == sku.strip())) is not None:
            raise InputError(f"a product with SKU '{sku}' already exists", field="sku")
    product, created = await upsert_product(session, sku.strip(), data, currency=currency, user_id=user_id)
    for key in CLEARABLE:
        if key in data and not str(data[key]).strip():
            setattr(product, key, "" if key == "description" else None)
    product.search_key = search_key(product.name, product.sku, product.erp_code, product.barcode)
    await session.flush()
    return product, created
