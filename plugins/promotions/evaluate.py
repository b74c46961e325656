"""Evaluating the buyer's promotions on a cart: special prices on lines, then bundles, threshold
discounts, coupons and gifts on the order; what was used is kept in ``cart.info["promotions"]``
for the checks, the upsell hint and recording at placement (a ``lock_qty`` promotion also locks
the qualifying lines' quantities)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from qudao.core.money import fmt
from qudao.core.plugin_api import Adjustment, GiftLine
from qudao.plugins.promotions import offers, views
from qudao.plugins.promotions import rules as R
from qudao.plugins.promotions import texts as T


def cart_info(cart: Any) -> dict[str, Any]:
    return cart.info.setdefault("promotions", {"lines": [], "order": [], "upsell": []})


def merged(info: dict[str, Any]) -> dict[int, dict[str, Any]]:
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


def lock_lines(rule: R.Rule, lines: list[Any], skus: set[str] | None = None) -> None:
    """A ``lock_qty`` promotion locks the quantities of the lines that qualified for it
    (``skus``; None = every bought line, for order-level promotions). The first lock stays."""
    if not rule.lock_qty:
        return
    for line in lines:
        if not line.gift and line.locked_by is None and (skus is None or line.sku in skus):
            line.locked_by = rule.source


async def adjust_lines(ctx: Any, cart: Any) -> None:
    """Special prices: each bought line gets the best one that applies (``qudao_adjust_lines``)."""
    offer = await offers.offer(ctx, cart.coupon)
    info = cart_info(cart)
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
        lock_lines(rule, [line])
        info["lines"].append({"id": rule.id, "code": rule.code, "kind": rule.kind, "sku": line.sku,
                              "qty": line.qty, "amount": str(saving), "coupon": rule.coupon is not None})

async def order_adjustments(ctx: Any, cart: Any) -> list[Any]:
    """Bundles, threshold discounts, coupons and gifts over the priced cart, and the one upsell
    hint (``qudao_order_adjustments``)."""
    offer = await offers.offer(ctx, cart.coupon)
    info = cart_info(cart)
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
        lock_lines(rule, bought, {sku for sku, _n in rule.items} if rule.kind == R.KIND_BUNDLE else None)
        out.append(Adjustment(source=rule.source, label=views.label_for(rule, currency, language),
                              amount=-applied.amount))
        info["order"].append({"id": rule.id, "code": rule.code, "kind": rule.kind, "qty": applied.qty,
                              "amount": str(applied.amount), "coupon": rule.coupon is not None})
    for gift in result.gifts:
        rule = gift.rule
        lock_lines(rule, bought, {rule.sku} if rule.kind == R.KIND_BUY_X_GET_Y and rule.sku else None)
        qty = sum(li.qty for li in lines if li.sku == rule.sku) if rule.kind == R.KIND_BUY_X_GET_Y else 0
        out.append(GiftLine(source=rule.source, sku=gift.sku, qty=gift.qty,
                            label=views.label_for(rule, currency, language)))
        info["order"].append({"id": rule.id, "code": rule.code, "kind": rule.kind, "qty": qty,
                              "gift_qty": gift.qty, "amount": "0", "coupon": rule.coupon is not None})
    for upsell in result.upsells[:1]:
        info["upsell"].append({"code": upsell.rule.code, "missing": str(upsell.missing),
                               "message": upsell_message(upsell, currency, language)})
    return out


def upsell_message(upsell: Any, currency: str, language: str) -> str:
    rule = upsell.rule
    more = fmt(upsell.missing, currency)
    if rule.kind == R.KIND_THRESHOLD_AMOUNT and rule.amount is not None:
        return T.text(language, "upsell_amount", more=more, a=fmt(rule.amount, currency))
    if rule.kind == R.KIND_THRESHOLD_PERCENT and rule.percent is not None:
        return T.text(language, "upsell_percent", more=more, p=views.pct_text(rule.percent))
    return T.text(language, "upsell_gift", more=more, q=rule.gift_qty, sku=rule.gift_sku)
