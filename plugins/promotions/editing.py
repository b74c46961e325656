"""Validating a promotion as a whole and storing it (with its targets), or switching it on or off."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from qudao.core.catalog.models import Product
from qudao.core.customers.models import Customer, Tier
from qudao.core.plugin_api import TenantContext
from qudao.core.validation import FieldErrors
from qudao.plugins.promotions import rules as R
from qudao.plugins.promotions import views
from qudao.plugins.promotions.fields import (
    CODE_RE,
    FIELDS,
    KIND_FIELDS,
    READ_ONLY,
    bool_field,
    int_field,
    money_field,
    parse_when,
    percent_field,
    str_list_field,
    tenant_tz,
    text_field,
)
from qudao.plugins.promotions.models import Promotion, PromotionTarget


async def validate(ctx: TenantContext, code: str, data: dict[str, Any]) -> dict[str, Any]:
    """Check a PUT body; return clean column values (plus ``_tier_ids``/``_customer_ids``)."""
    errors = FieldErrors()
    currency = ctx.tenant.currency
    if not CODE_RE.match(code or ""):
        errors.error("code", "must be 1-64 letters, digits, '_', '-' or '.'")
    for key in data:
        if key not in FIELDS and key not in READ_ONLY:
            errors.error(key, "unknown field")
    kind = data.get("kind")
    if kind not in R.KINDS:
        errors.error("kind", f"must be one of {', '.join(R.KINDS)}")
        kind = None
    used = KIND_FIELDS.get(kind or "", set())
    tz = tenant_tz(ctx)

    clean: dict[str, Any] = {"kind": kind}
    clean["name"] = text_field(errors, data, "name", 200) or ""
    threshold = money_field(errors, data, "threshold", currency)
    amount = money_field(errors, data, "amount", currency)
    percent = percent_field(errors, data, "percent")
    price = money_field(errors, data, "price", currency)
    sku = text_field(errors, data, "sku")
    gift_sku = text_field(errors, data, "gift_sku")
    gift_qty = int_field(errors, data, "gift_qty", 1)
    buy_qty = int_field(errors, data, "buy_qty", 1)
    repeat = bool_field(errors, data, "repeat", kind == R.KIND_BUY_X_GET_Y)
    limit_per_order = int_field(errors, data, "limit_per_order", 0)
    limit_per_customer = int_field(errors, data, "limit_per_customer", 0)
    uses_limit = int_field(errors, data, "uses_limit", 0)
    uses_per_customer = int_field(errors, data, "uses_per_customer", 0)
    coupon = text_field(errors, data, "coupon")
    group = text_field(errors, data, "group") or "default"
    priority_value = data.get("priority")
    priority = 0
    if priority_value is not None:
        if isinstance(priority_value, bool) or not isinstance(priority_value, int | str):
            errors.error("priority", "must be a whole number")
        else:
            try:
                priority = int(str(priority_value))
                if abs(priority) > 1_000_000:
                    errors.error("priority", "must be between -1000000 and 1000000")
            except ValueError:
                errors.error("priority", "must be a whole number")
    active = bool_field(errors, data, "active", True)
    lock_qty = bool_field(errors, data, "lock_qty", False)
    tier_codes = str_list_field(errors, data, "tiers")
    customer_codes = str_list_field(errors, data, "customers")
    clean["customer_types"] = str_list_field(errors, data, "customer_types")
    clean["regions"] = str_list_field(errors, data, "regions")
    clean["groups"] = str_list_field(errors, data, "groups")
    starts_at = ends_at = None
    for name in ("starts_at", "ends_at"):
        if data.get(name) is None:
            continue
        try:
            when = parse_when(data[name], tz, end=name == "ends_at")
        except ValueError as exc:
            errors.error(name, str(exc))
            continue
        if name == "starts_at":
            starts_at = when
        else:
            ends_at = when
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        errors.error("ends_at", "must be after starts_at")

    items: list[dict[str, Any]] = []
    if "items" in used:
        raw = data.get("items")
        if not isinstance(raw, list) or not raw:
            errors.error("items", "must be a non-empty list of {sku, qty}")
        elif len(raw) > 50:
            errors.error("items", "must have at most 50 entries")
        else:
            seen: set[str] = set()
            for i, item in enumerate(raw):
                if not isinstance(item, dict) or not isinstance(item.get("sku"), str) or not item["sku"].strip():
                    errors.error(f"items[{i}]", "must be an object {sku, qty}")
                    continue
                qty = int_field(errors, {f"items[{i}].qty": item.get("qty", 1)}, f"items[{i}].qty", 1)
                item_sku = item["sku"].strip()
                if item_sku in seen:
                    errors.error(f"items[{i}].sku", "is listed twice")
                seen.add(item_sku)
                if qty is not None:
                    items.append({"sku": item_sku, "qty": qty})
            if sum(i["qty"] for i in items) < 2 and not errors.errors:
                errors.error("items", "a bundle needs at least two units")

    # per kind
    def need(name: str, value: Any) -> None:
        if value is None and not any(e["field"] == name for e in errors.errors):
            errors.error(name, f"is required for {kind}")

    if kind in (R.KIND_THRESHOLD_AMOUNT, R.KIND_THRESHOLD_PERCENT, R.KIND_THRESHOLD_GIFT):
        need("threshold", threshold)
    if kind == R.KIND_THRESHOLD_AMOUNT:
        need("amount", amount)
    if kind == R.KIND_THRESHOLD_PERCENT:
        need("percent", percent)
    if kind == R.KIND_THRESHOLD_GIFT:
        need("gift_sku", gift_sku)
    if kind in (R.KIND_SPECIAL_PRICE, R.KIND_BUY_X_GET_Y):
        need("sku", sku)
    if kind in (R.KIND_SPECIAL_PRICE, R.KIND_BUNDLE):
        need("price", price)
    if kind == R.KIND_BUY_X_GET_Y:
        need("buy_qty", buy_qty)
        gift_sku = gift_sku or sku
    if kind == R.KIND_COUPON:
        if (amount is None) == (percent is None) and not any(
            e["field"] in ("amount", "percent") for e in errors.errors
        ):
            errors.error("amount", "a coupon needs either amount or percent (not both)")
        coupon = coupon or code
    if repeat and kind in (R.KIND_THRESHOLD_AMOUNT, R.KIND_THRESHOLD_GIFT, R.KIND_COUPON) and (
        threshold is not None and threshold <= 0
    ):
        errors.error("repeat", "needs a threshold above 0")
    if kind == R.KIND_COUPON and repeat and amount is not None and threshold is None:
        errors.error("repeat", "needs a threshold above 0")

    # references: products, tiers, customers, coupon codes
    session = ctx.session
    wanted = {s for s in (sku if "sku" in used else None, gift_sku if "gift_sku" in used else None) if s}
    wanted |= {i["sku"] for i in items}
    if wanted:
        found = set((await session.scalars(select(Product.sku).where(Product.sku.in_(wanted)))).all())
        for name, value in (("sku", sku), ("gift_sku", gift_sku)):
            if name in used and value and value not in found:
                errors.error(name, f"no product with SKU '{value}'")
        for i, item in enumerate(items):
            if item["sku"] not in found:
                errors.error(f"items[{i}].sku", f"no product with SKU '{item['sku']}'")
    tier_ids: list[int] = []
    if tier_codes:
        rows = dict((await session.execute(select(Tier.code, Tier.id).where(Tier.code.in_(tier_codes)))).all())
        for c in tier_codes:
            if c not in rows:
                errors.error("tiers", f"no tier '{c}'")
        tier_ids = [rows[c] for c in tier_codes if c in rows]
    customer_ids: list[int] = []
    if customer_codes:
        rows = dict((await session.execute(
            select(Customer.code, Customer.id).where(Customer.code.in_(customer_codes))
        )).all())
        for c in customer_codes:
            if c not in rows:
                errors.error("customers", f"no customer '{c}'")
        customer_ids = [rows[c] for c in customer_codes if c in rows]
    if coupon:
        other = await session.scalar(
            select(Promotion.code).where(Promotion.coupon_key == coupon.upper(), Promotion.code != code)
        )
        if other is not None:
            errors.error("coupon", f"is already the coupon of promotion '{other}'")

    errors.check()

    def keep(name: str, value: Any) -> Any:
        return value if name in used else None

    clean.update(
        threshold=keep("threshold", threshold), amount=keep("amount", amount),
        percent=keep("percent", percent), sku=keep("sku", sku), price=keep("price", price),
        gift_sku=keep("gift_sku", gift_sku),
        gift_qty=(gift_qty or 1) if "gift_qty" in used else None,
        buy_qty=keep("buy_qty", buy_qty), repeat=bool(repeat) if "repeat" in used else False,
        items=items, coupon=coupon, coupon_key=coupon.upper() if coupon else None,
        uses_limit=uses_limit, uses_per_customer=uses_per_customer,
        limit_per_order=keep("limit_per_order", limit_per_order),
        limit_per_customer=keep("limit_per_customer", limit_per_customer),
        stack_group=group, priority=priority, starts_at=starts_at, ends_at=ends_at, active=active,
        lock_qty=lock_qty,
        target_tiers=bool(tier_codes), target_customers=bool(customer_codes),
        _tier_ids=tier_ids, _customer_ids=customer_ids,
    )
    if clean["kind"] == R.KIND_COUPON and clean["threshold"] is None:
        clean["threshold"] = Decimal("0")
    return clean


async def upsert(ctx: TenantContext, code: str, data: dict[str, Any]) -> tuple[Promotion, bool]:
    """Validate and store (PUT replaces every field); nothing is stored on error."""
    clean = await validate(ctx, code, data)
    tier_ids, customer_ids = clean.pop("_tier_ids"), clean.pop("_customer_ids")
    session = ctx.session
    promo = await session.scalar(select(Promotion).where(Promotion.code == code))
    created = promo is None
    if promo is None:
        promo = Promotion(code=code, **clean)
        session.add(promo)
        await session.flush()
    else:
        newly_limited = promo.uses_limit is None and clean["uses_limit"] is not None
        for key, value in clean.items():
            setattr(promo, key, value)
        if newly_limited:
            # the UPDATE waits for the orders holding the row FOR SHARE, which used it without
            # counting (redemptions.record): once it returns, their redemptions are committed
            await session.flush()
            promo.used_count = (await views.usage(ctx, [promo.id])).get(promo.id, (0, Decimal("0")))[0]
        for target in (await session.scalars(
            select(PromotionTarget).where(PromotionTarget.promotion_id == promo.id)
        )).all():
            await session.delete(target)
        await session.flush()
    for tier_id in tier_ids:
        session.add(PromotionTarget(promotion_id=promo.id, tier_id=tier_id))
    for customer_id in customer_ids:
        session.add(PromotionTarget(promotion_id=promo.id, customer_id=customer_id))
    await session.flush()
    return promo, created


async def set_active(ctx: TenantContext, promo: Promotion, active: bool) -> None:
    promo.active = active
    await ctx.session.flush()
