"""Purchase limits (限购) and coupon checks: per order and per customer for the limited kinds
(special prices, buy X get Y), at checkout and again when a clerk edits an order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from qudao.core.money import fmt
from qudao.core.plugin_api import Violation
from qudao.plugins.promotions import offers, views
from qudao.plugins.promotions import rules as R
from qudao.plugins.promotions import texts as T
from qudao.plugins.promotions.evaluate import cart_info

LIMITED_KINDS = (R.KIND_SPECIAL_PRICE, R.KIND_BUY_X_GET_Y)


def order_limit(rule: R.Rule, lines: list[R.Line], code: str, language: str) -> list[Violation]:
    """The rule's limit per order, if the lines go over it."""
    have = R.over_limit(rule, lines)
    if have is None:
        return []
    return [Violation(code, T.text(language, "limit_order", n=rule.limit_per_order, sku=rule.sku, code=rule.code,
                                   have=have))]


async def customer_limits(ctx: Any, customer_id: int, rules: list[R.Rule], lines: list[R.Line], code: str,
                          language: str, exclude_order: int | None = None) -> list[Violation]:
    """The rules' limits per customer: what the customer had (other orders) plus these lines."""
    if not rules:
        return []
    uses = await offers.customer_uses(ctx, customer_id, [r.id for r in rules], exclude_order=exclude_order)
    out = []
    for rule in rules:
        assert rule.limit_per_customer is not None
        had = uses.get(rule.id, (0, 0))[1]
        want = sum(li.qty for li in lines if li.sku == rule.sku)
        if had + want > rule.limit_per_customer:
            out.append(Violation(code, T.text(language, "limit_customer", n=rule.limit_per_customer, sku=rule.sku,
                                              code=rule.code, left=max(rule.limit_per_customer - had, 0))))
    return out


async def check_cart(ctx: Any, cart: Any, placing: bool) -> list[Any]:
    """The coupon's problems and the purchase limits of the promotions the cart uses
    (``qudao_validate_cart``); while quoting, the upsell hint as a warning."""
    offer = await offers.offer(ctx, cart.coupon)
    info = cart_info(cart)
    applied = info["lines"] + info["order"]
    violations: list[Any] = []
    if cart.coupon and str(cart.coupon).strip():
        if offer.coupon_problem:
            violations.append(Violation("coupon_invalid", offer.coupon_problem))
        elif not any(a["coupon"] for a in applied):
            base = Decimal(info.get("base") or cart.subtotal)
            key = str(cart.coupon).strip().upper()
            if any(R.discount_for(r, base, offers.currency_places(ctx)) > 0 for r in offer.rules
                   if r.coupon and r.coupon.upper() == key and r.kind in R.DISCOUNT_KINDS):
                cart.warnings.append(Violation("coupon_not_combined",
                                               T.text(T.lang(ctx), "coupon_beaten", c=cart.coupon)))
            else:
                message = coupon_miss(offer, str(cart.coupon), base, ctx)
                violations.append(Violation("coupon_not_applicable", message))
    lines = [R.Line(li.sku, li.qty, li.unit_price) for li in cart.lines if not li.gift]
    limited = [a for a in applied if a["kind"] in LIMITED_KINDS]
    rules = {r.id: r for r in offer.rules}
    language = T.lang(ctx)
    for entry in limited:
        rule = rules.get(entry["id"])
        if rule is not None:
            violations.extend(order_limit(rule, lines, "promotion_limit_exceeded", language))
    if ctx.customer is not None:
        per_customer = [rules[e["id"]] for e in limited
                        if e["id"] in rules and rules[e["id"]].limit_per_customer is not None]
        violations.extend(await customer_limits(ctx, ctx.customer.id, per_customer, lines,
                                                "promotion_limit_exceeded", language))
    if not placing:
        for upsell in info.get("upsell", []):
            cart.warnings.append(Violation("promotion_available", upsell["message"]))
    return violations


async def edit_limits(ctx: Any, order: Any, cart: Any, merged: dict[int, dict[str, Any]]) -> list[Any]:
    """Purchase limits of the promotions the edited cart uses (code ``purchase_limit``)."""
    ids = [pid for pid, e in merged.items() if e["kind"] in LIMITED_KINDS]
    if not ids:
        return []
    promos = await views.by_ids(ctx, ids)
    lines = [R.Line(li.sku, li.qty, li.unit_price) for li in cart.lines if not li.gift]
    language = T.lang(ctx)
    out: list[Any] = []
    per_customer = []
    for pid in sorted(ids):
        promo = promos.get(pid)
        if promo is None:
            continue
        rule = offers.to_rule(promo)
        out.extend(order_limit(rule, lines, "purchase_limit", language))
        if rule.limit_per_customer is not None and order.customer_id is not None:
            per_customer.append(rule)
    out.extend(await customer_limits(ctx, order.customer_id, per_customer, lines, "purchase_limit", language,
                                     exclude_order=order.id))
    return out


def coupon_miss(offer: Any, coupon: str, base: Decimal, ctx: Any) -> str:
    currency, language = ctx.tenant.currency, T.lang(ctx)
    for rule in offer.rules:
        if rule.coupon and rule.coupon.upper() == coupon.strip().upper():
            if rule.threshold is not None and base < rule.threshold:
                return T.text(language, "coupon_short", c=rule.coupon, t=fmt(rule.threshold, currency),
                              more=fmt(rule.threshold - base, currency))
            break
    return T.text(language, "coupon_no_match", c=coupon)
