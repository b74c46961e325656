"""Promotions on the database: validate and store, load what applies to a buyer, record use."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select, update

from qudao.core.catalog.models import Product
from qudao.core.customers.models import Customer, Tier
from qudao.core.errors import InputError
from qudao.core.money import fmt, parse_money, places
from qudao.core.plugin_api import TenantContext, utcnow
from qudao.plugins.promotions import rules as R
from qudao.plugins.promotions import texts as T
from qudao.plugins.promotions.models import Promotion, PromotionTarget, Redemption

CODE_RE = re.compile(r"^[\w.\-]{1,64}$")
FIELDS = (
    "kind", "name", "threshold", "amount", "percent", "sku", "price", "gift_sku", "gift_qty", "buy_qty",
    "repeat", "items", "coupon", "uses_limit", "uses_per_customer", "limit_per_order",
    "limit_per_customer", "group", "priority", "tiers", "customers", "customer_types", "regions",
    "groups", "starts_at", "ends_at", "active", "lock_qty",
)
READ_ONLY = ("code", "label", "used", "orders", "discount_given", "status", "created_at", "updated_at")
# which fields each kind uses (anything else is validated, then ignored)
KIND_FIELDS: dict[str, set[str]] = {
    R.KIND_THRESHOLD_AMOUNT: {"threshold", "amount", "repeat"},
    R.KIND_THRESHOLD_PERCENT: {"threshold", "percent"},
    R.KIND_THRESHOLD_GIFT: {"threshold", "gift_sku", "gift_qty", "repeat"},
    R.KIND_SPECIAL_PRICE: {"sku", "price", "limit_per_order", "limit_per_customer"},
    R.KIND_COUPON: {"threshold", "amount", "percent", "repeat"},
    R.KIND_BUY_X_GET_Y: {"sku", "buy_qty", "gift_sku", "gift_qty", "repeat", "limit_per_order",
                         "limit_per_customer"},
    R.KIND_BUNDLE: {"items", "price"},
}
MAX_LIST = 500


# --- time ------------------------------------------------------------------------


def tenant_tz(ctx: TenantContext) -> ZoneInfo:
    try:
        return ZoneInfo(ctx.tenant.timezone or "Asia/Shanghai")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def parse_when(value: Any, tz: ZoneInfo, *, end: bool) -> datetime:
    """ISO datetime (naive = tenant time) or a date (a whole day in tenant time; an end is exclusive)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be an ISO 8601 date or date-time")
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ValueError("is not a valid date") from None
        if end:
            day += timedelta(days=1)
        return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError("must be an ISO 8601 date or date-time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.astimezone(UTC)


def show_when(value: datetime | None, tz: ZoneInfo) -> str | None:
    return value.astimezone(tz).isoformat() if value is not None else None


# --- validation ------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.items.append({"field": field, "message": message})


def _money(errors: _Errors, data: dict[str, Any], name: str, currency: str) -> Decimal | None:
    value = data.get(name)
    if value is None:
        return None
    try:
        return parse_money(value, currency)
    except ValueError as exc:
        errors.add(name, str(exc))
        return None


def _percent(errors: _Errors, data: dict[str, Any]) -> Decimal | None:
    value = data.get("percent")
    if value is None:
        return None
    if isinstance(value, bool):
        errors.add("percent", "must be a number between 0 and 100")
        return None
    try:
        pct = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors.add("percent", "must be a number between 0 and 100")
        return None
    if not pct.is_finite() or pct < 0 or pct > 100:
        errors.add("percent", "must be between 0 and 100")
        return None
    if pct.as_tuple().exponent < -4:  # type: ignore[operator]
        errors.add("percent", "has more than 4 decimal places")
        return None
    return pct


def _int(errors: _Errors, data: dict[str, Any], name: str, minimum: int = 0) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        errors.add(name, "must be a whole number")
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors.add(name, "must be a whole number")
        return None
    if number < minimum:
        errors.add(name, f"must be at least {minimum}")
        return None
    if number > 1_000_000_000:
        errors.add(name, "is too large")
        return None
    return number


def _bool(errors: _Errors, data: dict[str, Any], name: str, default: bool) -> bool:
    value = data.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "1", "on", "yes"):
        return True
    if str(value).lower() in ("false", "0", "off", "no"):
        return False
    errors.add(name, "must be true or false")
    return default


def _text(errors: _Errors, data: dict[str, Any], name: str, max_len: int = 64) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        errors.add(name, "must be text")
        return None
    value = value.strip()
    if len(value) > max_len:
        errors.add(name, f"must be at most {max_len} characters")
        return None
    return value or None


def _str_list(errors: _Errors, data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        errors.add(name, "must be a list of codes")
        return []
    if len(value) > MAX_LIST:
        errors.add(name, f"must have at most {MAX_LIST} entries")
        return []
    if any(len(v) > 200 for v in value):
        errors.add(name, "has an entry longer than 200 characters")
        return []
    return list(dict.fromkeys(v.strip() for v in value))


async def validate(ctx: TenantContext, code: str, data: dict[str, Any]) -> dict[str, Any]:
    """Check a PUT body; return clean column values (plus ``_tier_ids``/``_customer_ids``)."""
    errors = _Errors()
    currency = ctx.tenant.currency
    if not CODE_RE.match(code or ""):
        errors.add("code", "must be 1-64 letters, digits, '_', '-' or '.'")
    for key in data:
        if key not in FIELDS and key not in READ_ONLY:
            errors.add(key, "unknown field")
    kind = data.get("kind")
    if kind not in R.KINDS:
        errors.add("kind", f"must be one of {', '.join(R.KINDS)}")
        kind = None
    used = KIND_FIELDS.get(kind or "", set())
    tz = tenant_tz(ctx)

    clean: dict[str, Any] = {"kind": kind}
    clean["name"] = _text(errors, data, "name", 200) or ""
    threshold = _money(errors, data, "threshold", currency)
    amount = _money(errors, data, "amount", currency)
    percent = _percent(errors, data)
    price = _money(errors, data, "price", currency)
    sku = _text(errors, data, "sku")
    gift_sku = _text(errors, data, "gift_sku")
    gift_qty = _int(errors, data, "gift_qty", 1)
    buy_qty = _int(errors, data, "buy_qty", 1)
    repeat = _bool(errors, data, "repeat", kind == R.KIND_BUY_X_GET_Y)
    limit_per_order = _int(errors, data, "limit_per_order", 0)
    limit_per_customer = _int(errors, data, "limit_per_customer", 0)
    uses_limit = _int(errors, data, "uses_limit", 0)
    uses_per_customer = _int(errors, data, "uses_per_customer", 0)
    coupon = _text(errors, data, "coupon")
    group = _text(errors, data, "group") or "default"
    priority_value = data.get("priority")
    priority = 0
    if priority_value is not None:
        if isinstance(priority_value, bool) or not isinstance(priority_value, int | str):
            errors.add("priority", "must be a whole number")
        else:
            try:
                priority = int(str(priority_value))
                if abs(priority) > 1_000_000:
                    errors.add("priority", "must be between -1000000 and 1000000")
            except ValueError:
                errors.add("priority", "must be a whole number")
    active = _bool(errors, data, "active", True)
    lock_qty = _bool(errors, data, "lock_qty", False)
    tier_codes = _str_list(errors, data, "tiers")
    customer_codes = _str_list(errors, data, "customers")
    clean["customer_types"] = _str_list(errors, data, "customer_types")
    clean["regions"] = _str_list(errors, data, "regions")
    clean["groups"] = _str_list(errors, data, "groups")
    starts_at = ends_at = None
    for name in ("starts_at", "ends_at"):
        if data.get(name) is None:
            continue
        try:
            when = parse_when(data[name], tz, end=name == "ends_at")
        except ValueError as exc:
            errors.add(name, str(exc))
            continue
        if name == "starts_at":
            starts_at = when
        else:
            ends_at = when
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        errors.add("ends_at", "must be after starts_at")

    items: list[dict[str, Any]] = []
    if "items" in used:
        raw = data.get("items")
        if not isinstance(raw, list) or not raw:
            errors.add("items", "must be a non-empty list of {sku, qty}")
        elif len(raw) > 50:
            errors.add("items", "must have at most 50 entries")
        else:
            seen: set[str] = set()
            for i, item in enumerate(raw):
                if not isinstance(item, dict) or not isinstance(item.get("sku"), str) or not item["sku"].strip():
                    errors.add(f"items[{i}]", "must be an object {sku, qty}")
                    continue
                qty = _int(errors, {f"items[{i}].qty": item.get("qty", 1)}, f"items[{i}].qty", 1)
                item_sku = item["sku"].strip()
                if item_sku in seen:
                    errors.add(f"items[{i}].sku", "is listed twice")
                seen.add(item_sku)
                if qty is not None:
                    items.append({"sku": item_sku, "qty": qty})
            if sum(i["qty"] for i in items) < 2 and not errors.items:
                errors.add("items", "a bundle needs at least two units")

    # per kind
    def need(name: str, value: Any) -> None:
        if value is None and not any(e["field"] == name for e in errors.items):
            errors.add(name, f"is required for {kind}")

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
            e["field"] in ("amount", "percent") for e in errors.items
        ):
            errors.add("amount", "a coupon needs either amount or percent (not both)")
        coupon = coupon or code
    if repeat and kind in (R.KIND_THRESHOLD_AMOUNT, R.KIND_THRESHOLD_GIFT, R.KIND_COUPON) and (
        threshold is not None and threshold <= 0
    ):
        errors.add("repeat", "needs a threshold above 0")
    if kind == R.KIND_COUPON and repeat and amount is not None and threshold is None:
        errors.add("repeat", "needs a threshold above 0")

    # references: products, tiers, customers, coupon codes
    session = ctx.session
    wanted = {s for s in (sku if "sku" in used else None, gift_sku if "gift_sku" in used else None) if s}
    wanted |= {i["sku"] for i in items}
    if wanted:
        found = set((await session.scalars(select(Product.sku).where(Product.sku.in_(wanted)))).all())
        for name, value in (("sku", sku), ("gift_sku", gift_sku)):
            if name in used and value and value not in found:
                errors.add(name, f"no product with SKU '{value}'")
        for i, item in enumerate(items):
            if item["sku"] not in found:
                errors.add(f"items[{i}].sku", f"no product with SKU '{item['sku']}'")
    tier_ids: list[int] = []
    if tier_codes:
        rows = dict((await session.execute(select(Tier.code, Tier.id).where(Tier.code.in_(tier_codes)))).all())
        for c in tier_codes:
            if c not in rows:
                errors.add("tiers", f"no tier '{c}'")
        tier_ids = [rows[c] for c in tier_codes if c in rows]
    customer_ids: list[int] = []
    if customer_codes:
        rows = dict((await session.execute(
            select(Customer.code, Customer.id).where(Customer.code.in_(customer_codes))
        )).all())
        for c in customer_codes:
            if c not in rows:
                errors.add("customers", f"no customer '{c}'")
        customer_ids = [rows[c] for c in customer_codes if c in rows]
    if coupon:
        other = await session.scalar(
            select(Promotion.code).where(Promotion.coupon_key == coupon.upper(), Promotion.code != code)
        )
        if other is not None:
            errors.add("coupon", f"is already the coupon of promotion '{other}'")

    if errors.items:
        raise InputError(errors.items)

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
        for key, value in clean.items():
            setattr(promo, key, value)
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


# --- reading ---------------------------------------------------------------------


async def get_by_code(ctx: TenantContext, code: str) -> Promotion | None:
    return await ctx.session.scalar(select(Promotion).where(Promotion.code == code))


async def by_ids(ctx: TenantContext, ids: list[int]) -> dict[int, Promotion]:
    if not ids:
        return {}
    return {p.id: p for p in (await ctx.session.scalars(select(Promotion).where(Promotion.id.in_(ids)))).all()}


async def list_promotions(ctx: TenantContext) -> list[Promotion]:
    return list((await ctx.session.scalars(select(Promotion).order_by(Promotion.code))).all())


async def target_codes(ctx: TenantContext, ids: list[int]) -> dict[int, tuple[list[str], list[str]]]:
    out: dict[int, tuple[list[str], list[str]]] = {i: ([], []) for i in ids}
    if not ids:
        return out
    rows = (await ctx.session.execute(
        select(PromotionTarget.promotion_id, Tier.code, Customer.code)
        .outerjoin(Tier, (Tier.id == PromotionTarget.tier_id) & (Tier.tenant_id == PromotionTarget.tenant_id))
        .outerjoin(Customer, (Customer.id == PromotionTarget.customer_id)
                   & (Customer.tenant_id == PromotionTarget.tenant_id))
        .where(PromotionTarget.promotion_id.in_(ids))
    )).all()
    for pid, tier_code, customer_code in rows:
        if tier_code:
            out[pid][0].append(tier_code)
        if customer_code:
            out[pid][1].append(customer_code)
    for tiers, customers in out.values():
        tiers.sort()
        customers.sort()
    return out


async def usage(ctx: TenantContext, ids: list[int]) -> dict[int, tuple[int, Decimal]]:
    """Orders and discount given per promotion (cancelled/rejected orders do not count)."""
    if not ids:
        return {}
    rows = (await ctx.session.execute(
        select(Redemption.promotion_id, Redemption.amount)
        .where(Redemption.promotion_id.in_(ids), Redemption.released.is_(False))
    )).all()
    out: dict[int, tuple[int, Decimal]] = {}
    for pid, amount in rows:
        n, total = out.get(pid, (0, Decimal("0")))
        out[pid] = (n + 1, total + amount)
    return out


def status_of(promo: Promotion, now: datetime | None = None) -> str:
    now = now or utcnow()
    if not promo.active:
        return "paused"
    if promo.starts_at is not None and now < promo.starts_at:
        return "scheduled"
    if promo.ends_at is not None and now >= promo.ends_at:
        return "ended"
    if promo.uses_limit is not None and promo.used_count >= promo.uses_limit:
        return "used_up"
    return "running"


def pct_text(value: Decimal | None) -> str | None:
    """A percent without trailing zeros: 10, 12.5."""
    return format(value.normalize(), "f") if value is not None else None


def label_for(promo: Promotion | R.Rule, currency: str, language: str = "en") -> str:
    """The name, else a description such as "Spend 100.00, save 20.00" / "满100.00减20.00"."""
    if promo.name:
        return promo.name

    def say(key: str, **values: Any) -> str:
        return T.text(language, key, **values)

    def money(value: Decimal | None) -> str:
        return fmt(value, currency) if value is not None else ""

    kind, t = promo.kind, money(promo.threshold)
    if kind in (R.KIND_THRESHOLD_AMOUNT, R.KIND_THRESHOLD_PERCENT, R.KIND_COUPON):
        a, p = money(promo.amount), pct_text(promo.percent)
        if kind == R.KIND_COUPON and not promo.threshold:
            rest = say("flat_amount", a=a) if promo.amount is not None else say("flat_percent", p=p)
        elif promo.amount is not None:
            rest = say("amount_off_each" if promo.repeat else "amount_off", t=t, a=a)
        else:
            rest = say("percent_off", t=t, p=p)
        return say("coupon", c=promo.coupon, rest=rest) if kind == R.KIND_COUPON else rest
    if kind == R.KIND_THRESHOLD_GIFT:
        return say("gift_each" if promo.repeat else "gift", t=t, q=promo.gift_qty or 1, sku=promo.gift_sku)
    if kind == R.KIND_SPECIAL_PRICE:
        return say("special", price=money(promo.price))
    if kind == R.KIND_BUY_X_GET_Y:
        return say("buy_get_each" if promo.repeat else "buy_get", x=promo.buy_qty, sku=promo.sku,
                   y=promo.gift_qty or 1, gift=promo.gift_sku or promo.sku)
    if kind == R.KIND_BUNDLE:
        return say("bundle", code=promo.code, price=money(promo.price))
    return promo.code


def view(ctx: TenantContext, promo: Promotion, targets: tuple[list[str], list[str]] = ([], []),
         used: tuple[int, Decimal] | None = None) -> dict[str, Any]:
    currency = ctx.tenant.currency
    tz = tenant_tz(ctx)

    def money(value: Decimal | None) -> str | None:
        return fmt(value, currency) if value is not None else None

    orders, given = used or (0, Decimal("0"))
    return {
        "code": promo.code, "name": promo.name, "label": label_for(promo, currency, T.lang(ctx)),
        "kind": promo.kind,
        "threshold": money(promo.threshold), "amount": money(promo.amount), "percent": pct_text(promo.percent),
        "sku": promo.sku, "price": money(promo.price), "gift_sku": promo.gift_sku, "gift_qty": promo.gift_qty,
        "buy_qty": promo.buy_qty, "repeat": promo.repeat, "items": list(promo.items or []) or None,
        "coupon": promo.coupon, "uses_limit": promo.uses_limit, "uses_per_customer": promo.uses_per_customer,
        "used": promo.used_count, "limit_per_order": promo.limit_per_order,
        "limit_per_customer": promo.limit_per_customer, "group": promo.stack_group,
        "priority": promo.priority, "tiers": targets[0], "customers": targets[1],
        "customer_types": list(promo.customer_types or []), "regions": list(promo.regions or []),
        "groups": list(promo.groups or []), "starts_at": show_when(promo.starts_at, tz),
        "ends_at": show_when(promo.ends_at, tz), "active": promo.active, "lock_qty": bool(promo.lock_qty),
        "status": status_of(promo),
        "orders": orders, "discount_given": money(given),
    }


async def views(ctx: TenantContext, promos: list[Promotion]) -> list[dict[str, Any]]:
    ids = [p.id for p in promos]
    targets = await target_codes(ctx, ids)
    used = await usage(ctx, ids)
    return [view(ctx, p, targets.get(p.id, ([], [])), used.get(p.id)) for p in promos]


# --- what applies to a buyer -----------------------------------------------------


def to_rule(promo: Promotion) -> R.Rule:
    return R.Rule(
        id=promo.id, code=promo.code, kind=promo.kind, name=promo.name, threshold=promo.threshold,
        amount=promo.amount, percent=promo.percent, sku=promo.sku, price=promo.price,
        gift_sku=promo.gift_sku, gift_qty=promo.gift_qty or 1, buy_qty=promo.buy_qty, repeat=promo.repeat,
        items=tuple((i["sku"], int(i["qty"])) for i in (promo.items or [])), coupon=promo.coupon,
        group=promo.stack_group, priority=promo.priority, limit_per_order=promo.limit_per_order,
        limit_per_customer=promo.limit_per_customer, lock_qty=bool(promo.lock_qty),
    )


def _targeted(promo: Promotion) -> bool:
    return bool(promo.target_tiers or promo.target_customers or promo.customer_types or promo.regions
                or promo.groups)


def _matches(promo: Promotion, customer: Customer | None, tier_ids: set[int], customer_ids: set[int]) -> bool:
    if customer is None:
        return not _targeted(promo)
    if promo.target_tiers and customer.tier_id not in tier_ids:
        return False
    if promo.target_customers and customer.id not in customer_ids:
        return False
    if promo.customer_types and customer.type not in promo.customer_types:
        return False
    if promo.regions and not any((customer.region or "").startswith(r) for r in promo.regions):
        return False
    return not (promo.groups and not set(customer.groups or []) & set(promo.groups))


async def running(ctx: TenantContext, now: datetime | None = None) -> list[Promotion]:
    """Active promotions inside their dates (not yet filtered by buyer or coupon)."""
    now = now or utcnow()
    stmt = select(Promotion).where(
        Promotion.active.is_(True),
        (Promotion.starts_at.is_(None)) | (Promotion.starts_at <= now),
        (Promotion.ends_at.is_(None)) | (Promotion.ends_at > now),
    ).order_by(Promotion.code)
    return list((await ctx.session.scalars(stmt)).all())


async def eligible(ctx: TenantContext, customer: Customer | None, now: datetime | None = None) -> list[Promotion]:
    """Running promotions meant for this buyer (guests: untargeted ones only); coupons included."""
    promos = await running(ctx, now)
    ids = [p.id for p in promos if p.target_tiers or p.target_customers]
    tiers: dict[int, set[int]] = defaultdict(set)
    customers: dict[int, set[int]] = defaultdict(set)
    if ids and customer is not None:
        rows = (await ctx.session.execute(
            select(PromotionTarget.promotion_id, PromotionTarget.tier_id, PromotionTarget.customer_id)
            .where(PromotionTarget.promotion_id.in_(ids))
        )).all()
        for pid, tier_id, customer_id in rows:
            if tier_id is not None:
                tiers[pid].add(tier_id)
            if customer_id is not None:
                customers[pid].add(customer_id)
    return [p for p in promos if _matches(p, customer, tiers[p.id], customers[p.id])]


async def customer_uses(ctx: TenantContext, customer_id: int, promo_ids: list[int],
                        exclude_order: int | None = None) -> dict[int, tuple[int, int]]:
    """(orders, units) per promotion for a customer, not counting cancelled/rejected orders
    (nor ``exclude_order``: the order being edited)."""
    if not promo_ids:
        return {}
    stmt = (
        select(Redemption.promotion_id, func.count(), func.coalesce(func.sum(Redemption.qty), 0))
        .where(Redemption.customer_id == customer_id, Redemption.promotion_id.in_(promo_ids),
               Redemption.released.is_(False))
        .group_by(Redemption.promotion_id)
    )
    if exclude_order is not None:
        stmt = stmt.where(Redemption.order_id != exclude_order)
    rows = (await ctx.session.execute(stmt)).all()
    return {pid: (int(n), int(units)) for pid, n, units in rows}


class Offer:
    """What applies to one cart: the usable rules and why a coupon does not work."""

    def __init__(self, rules: list[R.Rule], coupon_problem: str | None, promos: dict[int, Promotion]) -> None:
        self.rules = rules
        self.coupon_problem = coupon_problem
        self.promos = promos


async def offer(ctx: TenantContext, coupon: str | None) -> Offer:
    """The rules for the current buyer and coupon, cached on the context for one request."""
    customer = ctx.customer
    key = (customer.id if customer is not None else None, (coupon or "").strip().upper())
    cache: dict[Any, Offer] = ctx.__dict__.setdefault("_promotions_offer", {})
    if key in cache:
        return cache[key]
    promos = await eligible(ctx, customer)
    entered = key[1]
    uses: dict[int, tuple[int, int]] = {}
    if customer is not None:
        uses = await customer_uses(ctx, customer.id, [
            p.id for p in promos if p.uses_per_customer is not None
        ])
    usable: list[Promotion] = []
    coupon_problem = None
    language = T.lang(ctx)
    for p in promos:
        if p.coupon_key is not None and p.coupon_key != entered:
            continue
        problem = None
        if p.uses_limit is not None and p.used_count >= p.uses_limit:
            problem = "coupon_used_up"
        elif p.uses_per_customer is not None and (
            customer is None or uses.get(p.id, (0, 0))[0] >= p.uses_per_customer
        ):
            problem = "coupon_used_by_you" if customer is not None else "coupon_needs_account"
        if problem is None:
            usable.append(p)
        elif p.coupon_key is not None:
            coupon_problem = T.text(language, problem, c=coupon)
    if entered and not any(p.coupon_key == entered for p in usable) and coupon_problem is None:
        coupon_problem = T.text(language, "coupon_unknown", c=coupon)
    result = Offer([to_rule(p) for p in usable], coupon_problem, {p.id: p for p in usable})
    cache[key] = result
    return result


def clear_cache(ctx: TenantContext) -> None:
    ctx.__dict__.pop("_promotions_offer", None)


def currency_places(ctx: TenantContext) -> int:
    return places(ctx.tenant.currency)


# --- placement -------------------------------------------------------------------


async def record(ctx: TenantContext, order: Any, applied: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Record the promotions an order used; return (code, message) refusals.

    Counters are taken with a conditional UPDATE (row lock on PostgreSQL, one writer on
    SQLite), promotion rows in id order, so parallel orders never overrun a usage limit.
    """
    session = ctx.session
    if getattr(order, "id", None) is None:
        await session.flush()
    refusals: list[tuple[str, str]] = []
    for entry in sorted(applied, key=lambda e: e["id"]):
        refusal = await _take(ctx, order, entry, None)
        if refusal is not None:
            refusals.append(refusal)
    await session.flush()
    return refusals


async def _take(ctx: TenantContext, order: Any, entry: dict[str, Any],
                row: Redemption | None) -> tuple[str, str] | None:
    """Take one use of a promotion for ``order`` (a new redemption, or ``row`` revived)."""
    session = ctx.session
    pid = entry["id"]
    customer_id = getattr(order, "customer_id", None)
    language = T.lang(ctx)
    result = await session.execute(
        update(Promotion)
        .where(Promotion.id == pid,
               (Promotion.uses_limit.is_(None)) | (Promotion.used_count < Promotion.uses_limit))
        .values(used_count=Promotion.used_count + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return ("coupon_invalid" if entry.get("coupon") else "promotion_limit_exceeded",
                T.text(language, "used_up", code=entry["code"]))
    promo = await session.get(Promotion, (ctx.tenant.id, pid))
    if promo is None:
        return None
    if customer_id is not None and (promo.uses_per_customer is not None or promo.limit_per_customer is not None):
        n, units = (await customer_uses(ctx, customer_id, [pid], exclude_order=order.id)).get(pid, (0, 0))
        if promo.uses_per_customer is not None and n + 1 > promo.uses_per_customer:
            return ("coupon_invalid" if entry.get("coupon") else "promotion_limit_exceeded",
                    T.text(language, "uses_customer", code=promo.code, n=promo.uses_per_customer))
        if promo.limit_per_customer is not None and units + entry["qty"] > promo.limit_per_customer:
            left = max(promo.limit_per_customer - units, 0)
            return ("promotion_limit_exceeded",
                    T.text(language, "limit_customer", n=promo.limit_per_customer, sku=promo.sku,
                           code=promo.code, left=left))
    if row is None:
        session.add(Redemption(
            promotion_id=pid, order_id=order.id, customer_id=customer_id, code=entry["code"],
            kind=entry["kind"], amount=Decimal(entry["amount"]), qty=entry["qty"],
            coupon=bool(entry.get("coupon")),
        ))
    else:
        row.released, row.amount, row.qty = False, Decimal(entry["amount"]), entry["qty"]
        row.coupon, row.kind, row.customer_id = bool(entry.get("coupon")), entry["kind"], customer_id
    return None


async def resync(ctx: TenantContext, order: Any, applied: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """After a staff edit: make the order's redemptions what its re-priced cart uses.

    A promotion still used keeps its use (its amount and units follow the edit); one the
    edit no longer qualifies for gives its use back; one it newly qualifies for takes a
    use like a placement (and may be refused: used up). Promotion rows in id order.
    """
    session = ctx.session
    rows = {r.promotion_id: r for r in (await session.scalars(
        select(Redemption).where(Redemption.order_id == order.id))).all()}
    wanted = {e["id"]: e for e in applied}
    refusals: list[tuple[str, str]] = []
    for pid in sorted(set(rows) | set(wanted)):
        row, entry = rows.get(pid), wanted.get(pid)
        if entry is None:
            if row is not None and not row.released:
                await _give_back(session, row)
        elif row is not None and not row.released:
            row.amount, row.qty, row.coupon = Decimal(entry["amount"]), entry["qty"], bool(entry.get("coupon"))
        else:
            refusal = await _take(ctx, order, entry, row)
            if refusal is not None:
                refusals.append(refusal)
    await session.flush()
    return refusals


async def release(ctx: TenantContext, order: Any) -> int:
    """A cancelled or rejected order gives its promotion uses back (once)."""
    session = ctx.session
    rows = (await session.scalars(
        select(Redemption).where(Redemption.order_id == order.id, Redemption.released.is_(False))
        .order_by(Redemption.promotion_id)
    )).all()
    for row in rows:
        await _give_back(session, row)
    await session.flush()
    return len(rows)


async def _give_back(session: Any, row: Redemption) -> None:
    """Release one redemption and give its use back to the promotion's counter."""
    row.released = True
    await session.execute(
        update(Promotion).where(Promotion.id == row.promotion_id, Promotion.used_count > 0)
        .values(used_count=Promotion.used_count - 1).execution_options(synchronize_session=False)
    )
