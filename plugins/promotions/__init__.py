"""Promotions: threshold discounts, gifts, special prices, bundles and coupons.

Works only through hooks: special prices in ``qudao_adjust_lines``; bundles, threshold
discounts, coupons and gifts in ``qudao_order_adjustments`` (both also lock the qualifying
lines' quantities of a ``lock_qty`` promotion); purchase limits and coupon checks in
``qudao_validate_cart``; usage is recorded in ``qudao_order_placed``, re-checked and
re-synced in ``qudao_order_edited`` (a staff edit) and given back in
``qudao_order_status_changed`` (cancelled / rejected); product badges in
``qudao_product_badges``. The math lives in ``rules.py``; the database work in
``fields.py`` + ``editing.py`` (validate and store), ``views.py`` (read and show),
``offers.py`` (what applies to a buyer) and ``redemptions.py`` (use under the limits);
the badges in ``badges.py``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from qudao.core.money import fmt
from qudao.core.plugin_api import Adjustment, GiftLine, PluginMeta, RoutedPlugin, Violation, hookimpl
from qudao.plugins.promotions import (
    badges,
    models,  # noqa: F401 - registers the promotions_* tables
    offers,
    redemptions,
    views,
)
from qudao.plugins.promotions import rules as R
from qudao.plugins.promotions import texts as T

RELEASING = ("cancelled", "rejected")


LIMITED_KINDS = (R.KIND_SPECIAL_PRICE, R.KIND_BUY_X_GET_Y)


def _info(cart: Any) -> dict[str, Any]:
    return cart.info.setdefault("promotions", {"lines": [], "order": [], "upsell": []})


def _merged(info: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The promotions a cart used, one entry per promotion (amounts and units added up)."""
    merged: dict[int, dict[str, Any]] = {}
    for entry in info.get("lines", []) + info.get("order", []):
        current = merged.get(entry["id"])
        if current is None:
            merged[entry["id"]] = dict(entry)
        else:
            current["amount"] = str(Decimal(current["amount"]) + Decimal(entry["amount"]))
            current["qty"] += entry["qty"]
    return merged


def _lock(rule: R.Rule, lines: list[Any], skus: set[str] | None = None) -> None:
    """A ``lock_qty`` promotion locks the quantities of the lines that qualified for it
    (``skus``; None = every bought line, for order-level promotions). The first lock stays."""
    if not rule.lock_qty:
        return
    for line in lines:
        if not line.gift and line.locked_by is None and (skus is None or line.sku in skus):
            line.locked_by = rule.source


class PromotionsPlugin(RoutedPlugin):
    meta = PluginMeta(
        name="promotions",
        title="Promotions 促销",
        version="0.1.0",
        description="Promotions: threshold discounts, gifts, special prices, bundles and coupons.",
        package_dir=Path(__file__).parent,
    )

    # --- routes and menus ------------------------------------------------------

    @hookimpl
    def qudao_admin_menu(self, ctx: Any) -> list[tuple[str, str]]:
        return [("Promotions", "/promotions")]

    @hookimpl
    def qudao_storefront_menu(self, ctx: Any) -> list[tuple[str, str]]:
        return [("Promotions", "/promotions")]

    # --- checkout pipeline -----------------------------------------------------

    @hookimpl
    async def qudao_adjust_lines(self, ctx: Any, cart: Any) -> None:
        offer = await offers.offer(ctx, cart.coupon)
        info = _info(cart)
        info["lines"] = []
        lines = [line for line in cart.lines if not line.gift]
        chosen = R.best_special_prices(offer.rules, [R.Line(li.sku, li.qty, li.unit_price) for li in lines])
        places = offers.currency_places(ctx)
        for index, rule in chosen.items():
            line = lines[index]
            assert rule.price is not None
            saving = R.q((line.unit_price - rule.price) * line.qty, places)
            line.notes.append(f"was {line.unit_price}")
            line.unit_price = rule.price
            line.source = rule.source
            line.source_label = views.label_for(rule, ctx.tenant.currency, T.lang(ctx))
            _lock(rule, [line])
            info["lines"].append({"id": rule.id, "code": rule.code, "kind": rule.kind, "sku": line.sku,
                                  "qty": line.qty, "amount": str(saving), "coupon": rule.coupon is not None})

    @hookimpl
    async def qudao_order_adjustments(self, ctx: Any, cart: Any) -> list[Any]:
        offer = await offers.offer(ctx, cart.coupon)
        info = _info(cart)
        info["order"], info["upsell"], info["base"] = [], [], str(cart.subtotal)
        if not offer.rules:
            return []
        currency, language = ctx.tenant.currency, T.lang(ctx)
        bought = [li for li in cart.lines if not li.gift]
        lines = [R.Line(li.sku, li.qty, li.unit_price) for li in bought]
        result = R.evaluate_order(offer.rules, Decimal(cart.subtotal), lines, offers.currency_places(ctx))
        info["base"] = str(result.base)
        out: list[Any] = []
        for applied in result.bundles + result.discounts:
            rule = applied.rule
            _lock(rule, bought, {sku for sku, _n in rule.items} if rule.kind == R.KIND_BUNDLE else None)
            out.append(Adjustment(source=rule.source, label=views.label_for(rule, currency, language),
                                  amount=-applied.amount))
            info["order"].append({"id": rule.id, "code": rule.code, "kind": rule.kind, "qty": applied.qty,
                                  "amount": str(applied.amount), "coupon": rule.coupon is not None})
        for gift in result.gifts:
            rule = gift.rule
            _lock(rule, bought, {rule.sku} if rule.kind == R.KIND_BUY_X_GET_Y and rule.sku else None)
            qty = sum(li.qty for li in lines if li.sku == rule.sku) if rule.kind == R.KIND_BUY_X_GET_Y else 0
            out.append(GiftLine(source=rule.source, sku=gift.sku, qty=gift.qty,
                                label=views.label_for(rule, currency, language)))
            info["order"].append({"id": rule.id, "code": rule.code, "kind": rule.kind, "qty": qty,
                                  "gift_qty": gift.qty, "amount": "0", "coupon": rule.coupon is not None})
        for upsell in result.upsells[:1]:
            info["upsell"].append({"code": upsell.rule.code, "missing": str(upsell.missing),
                                   "message": _upsell_message(upsell, currency, language)})
        return out

    @hookimpl
    async def qudao_validate_cart(self, ctx: Any, cart: Any, placing: bool) -> list[Any]:
        offer = await offers.offer(ctx, cart.coupon)
        info = _info(cart)
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
                    message = _coupon_miss(offer, str(cart.coupon), base, ctx)
                    violations.append(Violation("coupon_not_applicable", message))
        lines = [R.Line(li.sku, li.qty, li.unit_price) for li in cart.lines if not li.gift]
        limited = [a for a in applied if a["kind"] in LIMITED_KINDS]
        rules = {r.id: r for r in offer.rules}
        for entry in limited:
            rule = rules.get(entry["id"])
            if rule is None:
                continue
            have = R.over_limit(rule, lines)
            if have is not None:
                violations.append(Violation("promotion_limit_exceeded", T.text(
                    T.lang(ctx), "limit_order", n=rule.limit_per_order, sku=rule.sku, code=rule.code, have=have)))
        if ctx.customer is not None:
            per_customer = [rules[e["id"]] for e in limited
                            if e["id"] in rules and rules[e["id"]].limit_per_customer is not None]
            if per_customer:
                uses = await offers.customer_uses(ctx, ctx.customer.id, [r.id for r in per_customer])
                for rule in per_customer:
                    had = uses.get(rule.id, (0, 0))[1]
                    want = sum(li.qty for li in lines if li.sku == rule.sku)
                    assert rule.limit_per_customer is not None
                    if had + want > rule.limit_per_customer:
                        violations.append(Violation("promotion_limit_exceeded", T.text(
                            T.lang(ctx), "limit_customer", n=rule.limit_per_customer, sku=rule.sku, code=rule.code,
                            left=max(rule.limit_per_customer - had, 0))))
        if not placing:
            for upsell in info.get("upsell", []):
                cart.warnings.append(Violation("promotion_available", upsell["message"]))
        return violations

    @hookimpl
    async def qudao_order_placed(self, ctx: Any, order: Any, cart: Any) -> list[Any]:
        merged = _merged(cart.info.get("promotions") or {})
        if not merged:
            return []
        refusals = await redemptions.record(ctx, order, list(merged.values()))
        return [Violation(code, message) for code, message in refusals]

    @hookimpl
    async def qudao_order_edited(self, ctx: Any, order: Any, cart: Any, old_total: Any) -> list[Any]:
        """A clerk changed a submitted order: re-check the purchase limits (限购) on the
        re-priced cart (per customer: the customer's other orders, not this one), then make
        the order's recorded promotion uses follow the edit."""
        info = cart.info.get("promotions") or {}
        # a special price counts only while its line still carries it (a clerk may set another price)
        sources = {li.sku: li.source for li in cart.lines if not li.gift}
        info = {**info, "lines": [e for e in info.get("lines", [])
                                  if sources.get(e["sku"]) == f"promotions:{e['code']}"]}
        merged = _merged(info)
        violations = await _edit_limits(ctx, order, cart, merged)
        if violations:
            return violations
        refusals = await redemptions.resync(ctx, order, list(merged.values()))
        return [Violation(code, message) for code, message in refusals]

    @hookimpl
    async def qudao_product_badges(self, ctx: Any, products: list[Any]) -> dict[int, list[str]]:
        return await badges.product_badges(ctx, products)

    @hookimpl
    async def qudao_order_status_changed(self, ctx: Any, order: Any, old: str, new: str, note: str) -> None:
        if new in RELEASING and old not in RELEASING:
            await redemptions.release(ctx, order)


async def _edit_limits(ctx: Any, order: Any, cart: Any, merged: dict[int, dict[str, Any]]) -> list[Any]:
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
        have = R.over_limit(rule, lines)
        if have is not None:
            out.append(Violation("purchase_limit", T.text(
                language, "limit_order", n=rule.limit_per_order, sku=rule.sku, code=rule.code, have=have)))
        if rule.limit_per_customer is not None and order.customer_id is not None:
            per_customer.append(rule)
    if per_customer:
        uses = await offers.customer_uses(ctx, order.customer_id, [r.id for r in per_customer],
                                           exclude_order=order.id)
        for rule in per_customer:
            assert rule.limit_per_customer is not None
            had = uses.get(rule.id, (0, 0))[1]
            want = sum(li.qty for li in lines if li.sku == rule.sku)
            if had + want > rule.limit_per_customer:
                out.append(Violation("purchase_limit", T.text(
                    language, "limit_customer", n=rule.limit_per_customer, sku=rule.sku, code=rule.code,
                    left=max(rule.limit_per_customer - had, 0))))
    return out


def _upsell_message(upsell: Any, currency: str, language: str) -> str:
    rule = upsell.rule
    more = fmt(upsell.missing, currency)
    if rule.kind == R.KIND_THRESHOLD_AMOUNT and rule.amount is not None:
        return T.text(language, "upsell_amount", more=more, a=fmt(rule.amount, currency))
    if rule.kind == R.KIND_THRESHOLD_PERCENT and rule.percent is not None:
        return T.text(language, "upsell_percent", more=more, p=views.pct_text(rule.percent))
    return T.text(language, "upsell_gift", more=more, q=rule.gift_qty, sku=rule.gift_sku)


def _coupon_miss(offer: Any, coupon: str, base: Decimal, ctx: Any) -> str:
    currency, language = ctx.tenant.currency, T.lang(ctx)
    for rule in offer.rules:
        if rule.coupon and rule.coupon.upper() == coupon.strip().upper():
            if rule.threshold is not None and base < rule.threshold:
                return T.text(language, "coupon_short", c=rule.coupon, t=fmt(rule.threshold, currency),
                              more=fmt(rule.threshold - base, currency))
            break
    return T.text(language, "coupon_no_match", c=coupon)


plugin = PromotionsPlugin()
