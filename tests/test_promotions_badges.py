"""Promotion badges on the storefront: catalog cards and the product page show short labels of
the promotions the buyer (or guest) would get now, and only those."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import TenantAPI, web_login
from tests.test_pricing_statements import counting
from tests.test_promotions_api import make_shop, promo


def card_badges(html: str, sku: str) -> list[str]:
    """The promotion badges on one product card of the catalog page."""
    start = html.index(f'id="product-{sku}"')
    end = html.find('id="product-', start + 1)
    card = html[start:end if end != -1 else len(html)]
    return re.findall(r'class="badge promo-badge"[^>]*>([^<]*)<', card)


def page_badges(html: str) -> list[str]:
    """The promotion badges of the product page."""
    block = re.search(r'id="promo-badges"[^>]*>(.*?)</p>', html, re.S)
    return re.findall(r">([^<]+)</span>", block.group(1)) if block else []


def tenant_today() -> datetime:
    return datetime.now(ZoneInfo("Asia/Shanghai"))  # the tenant's default time zone


def shop_with_promotions(t: TenantAPI) -> None:
    make_shop(t)  # A 10.00, B 8.00, C 25.50, GIFT 3.00, CUP 1.00; tier gold
    t.ok("put", "/products/A", {"name": "Product A", "price": "10.00", "retail_price": "15.00"})
    today = tenant_today().date()
    promo(t, "M500", kind="threshold_amount_off", threshold="500", amount="50")
    promo(t, "SPA", kind="special_price", sku="A", price="9.00", limit_per_order=5)
    promo(t, "B10", kind="buy_x_get_y", sku="B", buy_qty=10, gift_qty=1)
    promo(t, "PKG", kind="bundle", items=[{"sku": "A", "qty": 5}, {"sku": "C", "qty": 2}], price="99.00")
    promo(t, "GOLDC", kind="special_price", sku="C", price="20.00", tiers=["gold"])
    # not running, not for everyone, or private: no badge
    promo(t, "PAUSED", kind="threshold_amount_off", threshold="100", amount="10", active=False)
    promo(t, "LATER", kind="threshold_amount_off", threshold="200", amount="20",
          starts_at=(today + timedelta(days=1)).isoformat())
    promo(t, "OVER", kind="threshold_amount_off", threshold="300", amount="30",
          ends_at=(today - timedelta(days=1)).isoformat())
    promo(t, "CPN", kind="coupon", amount="5")
    # ends "today" in the tenant's time zone: a date end covers the whole day
    promo(t, "TODAY", kind="threshold_amount_off", threshold="1000", amount="100", ends_at=today.isoformat())


STORE_WIDE = ["满500减50", "满1000减100"]


def test_catalog_and_product_page_show_the_buyers_promotions(web: Any, tenant: TenantAPI) -> None:
    shop_with_promotions(tenant)
    tenant.buyer("G1", email="g1@shop.test", tier="gold")
    web_login(web, tenant.slug, "g1@shop.test")

    html = web.get(f"/t/{tenant.slug}/").text
    assert card_badges(html, "A") == ["特价 ¥9.00", "限购 5", "套餐价 ¥99.00", *STORE_WIDE]
    assert card_badges(html, "B") == ["买10赠1", *STORE_WIDE]
    assert card_badges(html, "C") == ["特价 ¥20.00", "套餐价 ¥99.00", *STORE_WIDE]  # gold only
    assert card_badges(html, "CUP") == STORE_WIDE  # threshold discounts are store-wide
    for hidden in ("满100减10", "满200减20", "满300减30", "立减5"):
        assert hidden not in html

    product = web.get(f"/t/{tenant.slug}/p/A")
    assert product.status_code == 200
    assert page_badges(product.text) == ["特价 ¥9.00", "限购 5", "套餐价 ¥99.00", *STORE_WIDE]

    # an English page gets English badges
    web.cookies.set("qd_lang", "en")
    html = web.get(f"/t/{tenant.slug}/p/B").text
    assert page_badges(html) == ["Buy 10 get 1", "50 off over 500", "100 off over 1000"]


def test_other_customers_guests_staff_and_plugin_off(web: Any, tenant: TenantAPI) -> None:
    shop_with_promotions(tenant)
    tenant.buyer("P1", email="p1@shop.test")  # no tier: the gold special price is not for it
    web_login(web, tenant.slug, "p1@shop.test")
    html = web.get(f"/t/{tenant.slug}/").text
    assert card_badges(html, "C") == ["套餐价 ¥99.00", *STORE_WIDE]
    assert "¥20.00" not in html

    # the buyer's own price is already below the special price: no "特价" badge
    tenant.ok("put", "/prices/customer/P1/A", {"price": "8.50"})
    assert card_badges(web.get(f"/t/{tenant.slug}/").text, "A") == ["套餐价 ¥99.00", *STORE_WIDE]

    # staff browse the storefront at list prices, without badges
    web.cookies.clear()
    web_login(web, tenant.slug, f"owner@{tenant.slug}.test")
    html = web.get(f"/t/{tenant.slug}/").text
    assert 'id="product-A"' in html and "promo-badge" not in html
    assert "promo-badge" not in web.get(f"/t/{tenant.slug}/p/A").text

    # guests (retail prices, only products with one): untargeted promotions only
    web.cookies.clear()
    tenant.ok("put", "/plugins/guest_checkout", {"enabled": True})
    html = web.get(f"/t/{tenant.slug}/").text
    assert card_badges(html, "A") == ["特价 ¥9.00", "限购 5", "套餐价 ¥99.00", *STORE_WIDE]
    assert page_badges(web.get(f"/t/{tenant.slug}/p/A").text)[0] == "特价 ¥9.00"

    # promotions off for the tenant: no badges anywhere
    tenant.ok("put", "/plugins/promotions", {"enabled": False})
    assert "promo-badge" not in web.get(f"/t/{tenant.slug}/").text
    assert "promo-badge" not in web.get(f"/t/{tenant.slug}/p/A").text
    web_login(web, tenant.slug, "p1@shop.test")
    assert "promo-badge" not in web.get(f"/t/{tenant.slug}/").text


def test_badges_cost_the_same_statements_for_any_page_size(web: Any, tenant: TenantAPI) -> None:
    """One hook call per page: the statements of a catalog page do not grow with its products."""
    make_shop(tenant)
    tenant.buyer("G1", email="g1@shop.test", tier="gold")
    promo(tenant, "M500", kind="threshold_amount_off", threshold="500", amount="50")
    promo(tenant, "GOLD", kind="threshold_percent_off", threshold="0", percent="5", tiers=["gold"])
    promo(tenant, "USES", kind="threshold_amount_off", threshold="800", amount="60", uses_per_customer=1)
    for sku in ("A", "B"):
        promo(tenant, f"SP-{sku}", kind="special_price", sku=sku, price="1.00", limit_per_customer=9)
    web_login(web, tenant.slug, "g1@shop.test")

    def statements(q: str) -> tuple[int, str]:
        web.get(f"/t/{tenant.slug}/?q={q}")  # warm up
        with counting() as seen:
            html = web.get(f"/t/{tenant.slug}/?q={q}").text
        return len(seen), html

    few, html = statements("Product A")
    assert card_badges(html, "A")[0] == "特价 ¥1.00"
    for i in range(20):
        sku = f"P{i:02d}"
        tenant.ok("put", f"/products/{sku}", {"name": f"Product {sku}", "price": "10.00"})
        promo(tenant, f"SP-{sku}", kind="special_price", sku=sku, price="2.00", limit_per_order=3)
        promo(tenant, f"B-{sku}", kind="buy_x_get_y", sku=sku, buy_qty=2)
    many, html = statements("Product")
    assert card_badges(html, "P10") == ["特价 ¥2.00", "限购 3", "买2赠1", "立减5%", "满500减50", "满800减60"]
    assert html.count("promo-badge") > 20
    assert many == few, f"{few} statements for one product, {many} for 20+"
