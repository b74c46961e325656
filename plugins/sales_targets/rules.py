"""Reading a target from a body, a form or an Excel row: every field checked, ids resolved.

Nothing is written here; a bad field raises InputError naming it, so callers store nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from qudao.core.auth.models import User
from qudao.core.catalog.models import Brand, Category, Product
from qudao.core.customers.models import CUSTOMER_TYPES, Customer
from qudao.core.errors import InputError
from qudao.core.plugin_api import TenantContext, parse_money
from qudao.plugins.sales_targets.models import DIMENSIONS, MEASURES, RULES, SCOPES
from qudao.plugins.sales_targets.periods import Period, parse_period

MAX_SKUS = 200
MAX_QTY = 10**9


@dataclass
class TargetInput:
    """A checked target, ready to store."""

    period: Period
    dimension: str
    dim_key: str
    customer_id: int | None
    rep_id: int | None
    scope_kind: str
    scope_key: str
    scope_ids: list[int]
    measure: str
    rule: str
    target: Decimal
    note: str

    @property
    def natural_key(self) -> tuple[Any, ...]:
        return (self.period.kind, self.period.start, self.dimension, self.dim_key, self.scope_kind,
                self.scope_key, self.measure)


def _text(data: dict[str, Any], name: str, limit: int = 200) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise InputError("must be text", field=name)
    text = str(value).strip()
    if len(text) > limit:
        raise InputError(f"must be at most {limit} characters", field=name)
    return text


def _choice(data: dict[str, Any], name: str, choices: tuple[str, ...], default: str) -> str:
    value = _text(data, name) or default
    if value not in choices:
        raise InputError(f"must be one of {', '.join(choices)}", field=name)
    return value


def region_matches(prefix: str, region: str | None) -> bool:
    """Regions are '/'-separated paths (省/市/区); a prefix matches whole segments only."""
    if not region:
        return False
    p, r = prefix.strip().strip("/"), region.strip().strip("/")
    return r == p or r.startswith(p + "/")


def parse_amount(value: Any, measure: str, currency: str, field: str = "target") -> Decimal:
    if measure == "qty":
        if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
            raise InputError("must be a whole number", field=field)
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise InputError("must be a whole number", field=field) from None
        if not number.is_finite() or number != number.to_integral_value():
            raise InputError("must be a whole number", field=field)
    else:
        if isinstance(value, float):
            value = str(Decimal(str(value)))  # Excel numbers arrive as floats
        try:
            number = parse_money(value, currency, allow_negative=True)
        except ValueError as exc:
            raise InputError(str(exc), field=field) from None
    if number < 0:
        raise InputError("must not be negative", field=field)
    if number == 0:
        raise InputError("must be more than zero", field=field)
    if measure == "qty" and number > MAX_QTY:
        raise InputError("is too large", field=field)
    return number


def grow(value: Decimal, measure: str, percent: Decimal, currency: str) -> Decimal:
    from qudao.core.plugin_api import quantize

    grown = value * (Decimal(100) + percent) / Decimal(100)
    if measure == "qty":
        return grown.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return quantize(grown, currency)


def _sku_list(value: Any) -> list[str]:
    if isinstance(value, list):
        items = value
    elif isinstance(value, str):
        items = value.replace("，", ",").replace(";", ",").replace("\n", ",").split(",")
    else:
        raise InputError("must be a list of SKUs", field="scope_value")
    skus = sorted({str(s).strip() for s in items if str(s).strip()})
    if not skus:
        raise InputError("name at least one SKU", field="scope_value")
    if len(skus) > MAX_SKUS:
        raise InputError(f"at most {MAX_SKUS} SKUs", field="scope_value")
    return skus


async def parse_target(ctx: TenantContext, data: dict[str, Any]) -> TargetInput:
    """Check every field of a target (the API body's names; forms and Excel rows use the same)."""
    if not isinstance(data, dict):
        raise InputError("must be an object", field="body")
    session = ctx.session
    errors: list[dict[str, str]] = []

    def attempt(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except InputError as exc:
            errors.extend(exc.errors)
            return None

    period = attempt(parse_period, data.get("period"))
    dimension = attempt(_choice, data, "dimension", DIMENSIONS, "all")
    scope = attempt(_choice, data, "scope", SCOPES, "all")
    measure = attempt(_choice, data, "measure", MEASURES, "amount")
    rule = attempt(_choice, data, "rule", RULES, "placed")
    key = attempt(_text, data, "key") or ""
    note = attempt(_text, data, "note") or ""
    target = attempt(parse_amount, data.get("target"), measure or "amount", ctx.tenant.currency or "CNY") \
        if data.get("target") not in (None, "") else None
    if target is None and not any(e["field"] == "target" for e in errors):
        errors.append({"field": "target", "message": "is required"})

    customer_id = rep_id = None
    dim_key = ""
    if dimension == "all":
        if key:
            errors.append({"field": "key", "message": "must be empty for a target over all customers"})
    elif dimension and not key:
        errors.append({"field": "key", "message": f"name the {dimension.replace('_', ' ')}"})
    elif dimension == "region":
        regions = (await session.scalars(select(Customer.region).where(Customer.region.is_not(None))
                                         .distinct())).all()
        if not any(region_matches(key, r) for r in regions):
            errors.append({"field": "key", "message": f"no customer is in the region '{key}'"})
        dim_key = key.strip("/")
    elif dimension == "customer_type":
        if key not in CUSTOMER_TYPES:
            errors.append({"field": "key", "message": f"must be one of {', '.join(CUSTOMER_TYPES)}"})
        dim_key = key
    elif dimension == "customer":
        customer_id = await session.scalar(select(Customer.id).where(Customer.code == key))
        if customer_id is None:
            errors.append({"field": "key", "message": f"no customer with code '{key}'"})
        dim_key = str(customer_id or "")
    elif dimension == "sales_rep":
        rep_id = await session.scalar(select(User.id).where(User.email == key.lower(), User.kind == "staff",
                                                            User.role == "sales_rep"))
        if rep_id is None:
            errors.append({"field": "key", "message": f"no sales rep with the email '{key}'"})
        dim_key = str(rep_id or "")

    scope_key, scope_ids = "", []
    raw_scope = data.get("scope_value")
    if scope and scope != "all":
        try:
            scope_key, scope_ids = await _resolve_scope(ctx, scope, raw_scope)
        except InputError as exc:
            errors.extend(exc.errors)
    elif raw_scope not in (None, "", []):
        errors.append({"field": "scope_value", "message": "must be empty when the target covers all products"})
    if errors:
        raise InputError(errors)
    return TargetInput(period, dimension, dim_key, customer_id, rep_id, scope, scope_key, scope_ids, measure,
                       rule, target, note)


async def _resolve_scope(ctx: TenantContext, scope: str, raw: Any) -> tuple[str, list[int]]:
    session = ctx.session
    if scope == "skus":
        skus = _sku_list(raw)
        rows = dict((await session.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus)))).all())
        missing = [s for s in skus if s not in rows]
        if missing:
            raise InputError(f"unknown SKU: {', '.join(missing[:10])}", field="scope_value")
        return ",".join(skus), sorted(rows[s] for s in skus)
    code = raw.strip() if isinstance(raw, str) else ""
    if not code:
        raise InputError(f"name the {scope} code", field="scope_value")
    if scope == "brand":
        brand_id = await session.scalar(select(Brand.id).where(Brand.code == code))
        if brand_id is None:
            raise InputError(f"no brand with code '{code}'", field="scope_value")
        return code, [brand_id]
    tree = (await session.execute(select(Category.id, Category.code, Category.parent_id))).all()
    root = next((cid for cid, c, _ in tree if c == code), None)
    if root is None:
        raise InputError(f"no category with code '{code}'", field="scope_value")
    ids, frontier = {root}, {root}
    while frontier:  # the category and everything under it
        frontier = {cid for cid, _, parent in tree if parent in frontier and cid not in ids}
        ids |= frontier
    return code, sorted(ids)
