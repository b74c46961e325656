"""The tenant's split rule: which percentage of a paid order goes to the platform, the brand,
the distributor and the sales rep."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from qudao.core.errors import InputError
from qudao.core.plugin_api import utcnow
from qudao.plugins.payments.common import HUNDRED, audit_money, user_id
from qudao.plugins.payments.models import (
    SplitRule,
)


def platform_percent() -> Decimal:
    from qudao.core.config import get_settings

    try:
        value = Decimal(str(get_settings().platform_fee_percent or "0"))
    except InvalidOperation:
        value = Decimal(0)
    return value if value.is_finite() and 0 <= value <= 100 else Decimal(0)


def parse_percent(data: dict[str, Any], key: str, errors: list[dict[str, str]], *, required: bool) -> Decimal | None:
    raw = data.get(key)
    if raw is None or raw == "":
        if required:
            errors.append({"field": key, "message": "is required"})
        return None
    if isinstance(raw, bool):
        errors.append({"field": key, "message": "must be a percentage such as \"12.5\""})
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        errors.append({"field": key, "message": "must be a percentage such as \"12.5\""})
        return None
    if not value.is_finite() or value < 0 or value > 100:
        errors.append({"field": key, "message": "must be between 0 and 100"})
        return None
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        errors.append({"field": key, "message": "has more than 2 decimal places"})
        return None
    return value


def percent_text(value: Decimal | str) -> str:
    d = Decimal(str(value)).normalize()
    return format(d, "f")


async def current_rule(ctx: Any) -> SplitRule | None:
    return await ctx.session.scalar(select(SplitRule).where(SplitRule.name == "default"))


def rule_view(rule: SplitRule | None) -> dict[str, Any]:
    platform = platform_percent()
    if rule is None:
        return {"platform_percent": percent_text(platform), "brand_percent": percent_text(HUNDRED - platform),
                "distributor_percent": "0", "sales_rep_percent": "0", "configured": False}
    return {"platform_percent": percent_text(platform), "brand_percent": percent_text(rule.brand_percent),
            "distributor_percent": percent_text(rule.distributor_percent), "sales_rep_percent": percent_text(rule.sales_rep_percent),
            "configured": True, "updated_at": rule.updated_at.isoformat()}


async def put_rule(ctx: Any, data: dict[str, Any]) -> tuple[SplitRule, bool]:
    errors: list[dict[str, str]] = []
    unknown = set(data) - {"brand_percent", "distributor_percent", "sales_rep_percent", "platform_percent"}
    for key in sorted(unknown):
        errors.append({"field": key, "message": "unknown field"})
    brand = parse_percent(data, "brand_percent", errors, required=True)
    distributor = parse_percent(data, "distributor_percent", errors, required=False) or Decimal(0)
    rep = parse_percent(data, "sales_rep_percent", errors, required=False) or Decimal(0)
    platform = platform_percent()
    given = parse_percent(data, "platform_percent", errors, required=False)
    if given is not None and given != platform:
        errors.append({"field": "platform_percent",
                       "message": f"is set by the platform operator ({percent_text(platform)} %)"})
    if brand is not None and not errors:
        total = platform + brand + distributor
        if total != HUNDRED:
            errors.append({"field": "brand_percent", "message": (
                f"platform {percent_text(platform)} % + brand {percent_text(brand)} % + distributor {percent_text(distributor)} % "
                f"= {percent_text(total)} %; the split must add up to 100 %")})
        if rep > brand:
            errors.append({"field": "sales_rep_percent", "message": "is paid out of the brand's share, so it "
                                                                     "cannot be more than brand_percent"})
    if errors:
        raise InputError(errors)
    assert brand is not None
    rule = await current_rule(ctx)
    created = rule is None
    before = rule_view(rule) if rule is not None else None
    if rule is None:
        rule = SplitRule(name="default")
        ctx.session.add(rule)
    rule.platform_percent, rule.brand_percent = percent_text(platform), percent_text(brand)
    rule.distributor_percent, rule.sales_rep_percent = percent_text(distributor), percent_text(rep)
    rule.updated_by, rule.updated_at = user_id(ctx), utcnow()
    keep = ("brand_percent", "distributor_percent", "sales_rep_percent", "platform_percent")
    audit_money(ctx, "split_rule", "default", {k: before[k] for k in keep} if before else None,
                {k: v for k, v in rule_view(rule).items() if k in keep})
    await ctx.session.commit()
    return rule, created
