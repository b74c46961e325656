"""Reading stored promotions: by code or id, their targets and use, status and labels, and the
views the API and pages show."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from qudao.core.customers.models import Customer, Tier
from qudao.core.money import fmt
from qudao.core.plugin_api import TenantContext, utcnow
from qudao.plugins.promotions import rules as R
from qudao.plugins.promotions import texts as T
from qudao.plugins.promotions.fields import show_when, tenant_tz
from qudao.plugins.promotions.models import Promotion, PromotionTarget, Redemption


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
        # a promotion without a total limit is not counted at placement (redemptions.record)
        "used": promo.used_count if promo.uses_limit is not None else orders,
        "limit_per_order": promo.limit_per_order,
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
