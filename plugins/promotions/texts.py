"""Buyer-facing texts (adjustment labels, hints, refusals) in the tenant's language.

They are stored with orders, so they follow the tenant's locale rather than a page's.
"""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "amount_off": "Spend {t}, save {a}",
        "amount_off_each": "{a} off for every {t} spent",
        "percent_off": "Spend {t}, save {p}%",
        "flat_amount": "{a} off",
        "flat_percent": "{p}% off",
        "coupon": "Coupon {c}: {rest}",
        "gift": "Spend {t}, get {q} × {sku} free",
        "gift_each": "Get {q} × {sku} free for every {t} spent",
        "special": "Special price {price}",
        "buy_get": "Buy {x} {sku}, get {y} {gift} free",
        "buy_get_each": "For every {x} {sku}, get {y} {gift} free",
        "bundle": "Bundle {code} for {price}",
        "upsell_amount": "Add {more} more for {a} off",
        "upsell_percent": "Add {more} more for {p}% off",
        "upsell_gift": "Add {more} more to get {q} × {sku} free",
        "coupon_unknown": "Coupon {c} is not valid",
        "coupon_used_up": "Coupon {c} has been used up",
        "coupon_used_by_you": "Coupon {c} was already used as often as allowed",
        "coupon_needs_account": "Coupon {c} needs a customer account",
        "coupon_short": "Coupon {c} needs a subtotal of at least {t}; add {more} more",
        "coupon_no_match": "Coupon {c} does not apply to this cart",
        "coupon_beaten": "Coupon {c} is not combined with a promotion that saves more; that one applies",
        "limit_order": "At most {n} × {sku} per order at the price of promotion {code}; the cart has {have}",
        "limit_customer": "At most {n} × {sku} per customer at the price of promotion {code}; {left} left",
        "used_up": "Promotion {code} has been used up",
        "uses_customer": "Promotion {code} may be used {n} time(s) per customer",
        "badge_amount_off": "{a} off over {t}",
        "badge_amount_off_each": "{a} off every {t}",
        "badge_percent_off": "{p}% off over {t}",
        "badge_flat_amount": "{a} off",
        "badge_flat_percent": "{p}% off",
        "badge_gift": "Free gift over {t}",
        "badge_special": "Special {price}",
        "badge_buy_get": "Buy {x} get {y}",
        "badge_buy_get_other": "Buy {x} get {y} × {gift}",
        "badge_bundle": "Bundle {price}",
        "badge_limit": "Limit {n}",
    },
    "zh": {
        "amount_off": "满{t}减{a}",
        "amount_off_each": "每满{t}减{a}",
        "percent_off": "满{t}减{p}%",
        "flat_amount": "立减{a}",
        "flat_percent": "立减{p}%",
        "coupon": "优惠券 {c}：{rest}",
        "gift": "满{t}赠 {sku} × {q}",
        "gift_each": "每满{t}赠 {sku} × {q}",
        "special": "特价 {price}",
        "buy_get": "买{x}件 {sku} 赠 {gift} × {y}",
        "buy_get_each": "每买{x}件 {sku} 赠 {gift} × {y}",
        "bundle": "组合 {code} 套餐价 {price}",
        "upsell_amount": "再买 {more} 可减 {a}",
        "upsell_percent": "再买 {more} 可减 {p}%",
        "upsell_gift": "再买 {more} 可获赠 {sku} × {q}",
        "coupon_unknown": "优惠券 {c} 无效",
        "coupon_used_up": "优惠券 {c} 已被领完",
        "coupon_used_by_you": "优惠券 {c} 您已用满次数",
        "coupon_needs_account": "优惠券 {c} 需登录客户账号使用",
        "coupon_short": "优惠券 {c} 需满 {t}，还差 {more}",
        "coupon_no_match": "优惠券 {c} 不适用于此购物车",
        "coupon_beaten": "优惠券 {c} 不与更优惠的促销同享，已按更优惠的计算",
        "limit_order": "促销 {code}：{sku} 每单限购 {n} 件，购物车中有 {have} 件",
        "limit_customer": "促销 {code}：{sku} 每个客户限购 {n} 件，还可购买 {left} 件",
        "used_up": "促销 {code} 已用完",
        "uses_customer": "促销 {code} 每个客户限用 {n} 次",
        "badge_amount_off": "满{t}减{a}",
        "badge_amount_off_each": "每满{t}减{a}",
        "badge_percent_off": "满{t}减{p}%",
        "badge_flat_amount": "立减{a}",
        "badge_flat_percent": "立减{p}%",
        "badge_gift": "满{t}有赠",
        "badge_special": "特价 {price}",
        "badge_buy_get": "买{x}赠{y}",
        "badge_buy_get_other": "买{x}赠 {gift} × {y}",
        "badge_bundle": "套餐价 {price}",
        "badge_limit": "限购 {n}",
    },
}


def lang(ctx: Any) -> str:
    locale = (getattr(ctx.tenant, "locale", None) or "zh_CN").lower()
    return "zh" if locale.startswith("zh") else "en"


def text(language: str, key: str, **values: Any) -> str:
    return TEXTS.get(language, TEXTS["en"])[key].format(**values)
