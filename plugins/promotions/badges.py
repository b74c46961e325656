"""Short promotion labels for the storefront's product cards and product page.

Only what the current buyer would get in a cart now: the same rules as pricing a cart
(``offers.offer``: running in the tenant's time, not paused, not used up, targeted at
this customer; guests get untargeted ones only; coupons stay private). Product-level
promotions label the products they cover; threshold promotions read the whole subtotal,
so they apply store-wide and label every product. A constant number of statements per
page, whatever its size. Badges are only shown, never stored, so they follow the page's
language (adjustment labels, stored with orders, follow the tenant's).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from qudao.core.plugin_api import TenantContext
from qudao.plugins.promotions import offers, views
from qudao.plugins.promotions import rules as R
from qudao.plugins.promotions import texts as T

STORE_WIDE = (R.KIND_THRESHOLD_AMOUNT, R.KIND_THRESHOLD_PERCENT, R.KIND_THRESHOLD_GIFT)


def short_amount(value: Decimal) -> str:
    """A threshold or amount without needless decimals: 500, 49.90."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def page_language() -> str:
    from qudao.web.i18n import get_locale

    return "zh" if get_locale().lower().startswith("zh") else "en"


def _price(value: Decimal | None, currency: str) -> str:
    from qudao.web.pages.store.base import money  # the storefront's own money format: ¥99.00

    return money(value, currency)


def store_wide_label(rule: R.Rule, language: str) -> str:
    def say(key: str, **values: Any) -> str:
        return T.text(language, key, **values)

    threshold = rule.threshold or Decimal("0")
    t = short_amount(threshold)
    if rule.kind == R.KIND_THRESHOLD_GIFT:
        return say("badge_gift", t=t)
    if rule.amount is not None:
        a = short_amount(rule.amount)
        if threshold <= 0:
            return say("badge_flat_amount", a=a)
        return say("badge_amount_off_each" if rule.repeat else "badge_amount_off", t=t, a=a)
    p = views.pct_text(rule.percent)
    return say("badge_flat_percent", p=p) if threshold <= 0 else say("badge_percent_off", t=t, p=p)


def _limit(rule: R.Rule) -> int | None:
    limits = [n for n in (rule.limit_per_order, rule.limit_per_customer) if n is not None]
    return min(limits) if limits else None


async def product_badges(ctx: TenantContext, products: list[Any]) -> dict[int, list[str]]:
    if not products or ctx.is_staff:
        return {}
    offer = await offers.offer(ctx, None)
    if not offer.rules:
        return {}
    language, currency = page_language(), ctx.tenant.currency
    labels: dict[str, list[str]] = {p.sku: [] for p in products}

    def add(sku: str | None, label: str) -> None:
        if sku in labels and label not in labels[sku]:
            labels[sku].append(label)

    # special prices: the lowest one per SKU, shown only when it beats the buyer's own price
    specials = [r for r in offer.rules if r.kind == R.KIND_SPECIAL_PRICE and r.sku in labels]
    if specials:
        from qudao.core.pricing.engine import resolve_prices

        covered = [p for p in products if p.sku in {r.sku for r in specials}]
        prices = await resolve_prices(ctx.session, covered, customer=ctx.customer, guest=ctx.guest is not None,
                                      currency=currency)
        own = [R.Line(p.sku, 1, prices[p.id].price) for p in covered if prices.get(p.id) is not None]
        for index, rule in R.best_special_prices(specials, own).items():
            add(own[index].sku, T.text(language, "badge_special", price=_price(rule.price, currency)))
            if (n := _limit(rule)) is not None:
                add(rule.sku, T.text(language, "badge_limit", n=n))
    for rule in offer.rules:
        if rule.kind == R.KIND_BUY_X_GET_Y and rule.sku in labels and rule.buy_qty:
            gift = rule.gift_sku or rule.sku
            key = "badge_buy_get" if gift == rule.sku else "badge_buy_get_other"
            add(rule.sku, T.text(language, key, x=rule.buy_qty, y=rule.gift_qty, gift=gift))
            if (n := _limit(rule)) is not None:
                add(rule.sku, T.text(language, "badge_limit", n=n))
        elif rule.kind == R.KIND_BUNDLE and rule.items:
            for sku, _n in rule.items:
                add(sku, T.text(language, "badge_bundle", price=_price(rule.price, currency)))
    store_wide = [store_wide_label(r, language) for r in sorted(offer.rules, key=lambda r: (r.min_base, r.code))
                  if r.kind in STORE_WIDE]
    for sku in labels:
        for label in store_wide:
            add(sku, label)
    return {p.id: labels[p.sku] for p in products if labels.get(p.sku)}
