"""What applies to a buyer now: running promotions, targeting, per-customer use, and the cached
offer (rules plus the coupon) the checkout hooks evaluate."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select

from qudao.core.customers.models import Customer
from qudao.core.money import places
from qudao.core.plugin_api import TenantContext, prepared, utcnow
from qudao.plugins.promotions import rules as R
from qudao.plugins.promotions import texts as T
from qudao.plugins.promotions.models import Promotion, PromotionTarget, Redemption


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
    return list((await ctx.session.scalars(_running_statement(), {"now": now or utcnow()})).all())


@prepared
def _running_statement() -> Any:
    now = bindparam("now", type_=Promotion.starts_at.type)
    return select(Promotion).where(
        Promotion.active.is_(True),
        (Promotion.starts_at.is_(None)) | (Promotion.starts_at <= now),
        (Promotion.ends_at.is_(None)) | (Promotion.ends_at > now),
    ).order_by(Promotion.code)


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
