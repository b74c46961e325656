"""Storefront for a brand that sells: categories, suggestions, the −/+ stepper in the packing
unit with the order multiple, the sticky cart bar with running total and savings, more pages as
one scrolls, price breaks, what visitors see, and a store's application that an admin approves."""

# ruff: noqa: F811
from __future__ import annotations

import re
from typing import Any

from tests.conftest import PASSWORD, TenantAPI
from tests.test_storefront import Browser, setup_shop, shop, web  # noqa: F401


def _categories(t: TenantAPI) -> None:
    t.ok("put", "/products/TEA-1", {"name": "乌龙茶 500ml", "price": "10.00", "brand": "acme",
                                    "retail_price": "15.00", "unit": "箱", "category": "tea", "order_multiple": 6})
    t.ok("put", "/products/ZEN-1", {"name": "Matcha", "price": "30.00", "brand": "zen", "category": "powder"})
    t.ok("put", "/prices/breaks/TEA-1", {"breaks": [{"min_qty": 12, "price": "8.00"}]})


def test_category_rail_filters_and_stepper_follows_the_order_multiple(shop: tuple[TenantAPI, Browser]) -> None:
    t, b = shop
    _categories(t)
    html = b.get("/").text
    rail = html.split('id="categories"', 1)[1].split("</nav>", 1)[0]
    assert 'data-category="tea"' in rail and 'data-category="powder"' in rail
    tea = b.get("/", params={"category": "tea"}).text
    assert 'id="product-TEA-1"' in tea and 'id="product-ZEN-1"' not in tea and 'id="product-TEA-2"' not in tea
    card = tea.split('id="product-TEA-1"', 1)[1].split('class="product"', 1)[0]
    assert 'data-step="6"' in card and 'name="qty" value="6"' in card and "箱" in card
    # a quantity that is not a multiple is refused, a multiple is added
    bad = b.post("/cart/add", {"sku": "TEA-1", "qty": "4"}, hx=True)
    assert bad.status_code == 200 and "flash error" in bad.text
    ok = b.post("/cart/add", {"sku": "TEA-1", "qty": "12"}, hx=True)
    assert "flash ok" in ok.text and ok.headers.get("hx-trigger") == "cart-changed"


def test_cart_bar_running_total_and_savings(shop: tuple[TenantAPI, Browser]) -> None:
    t, b = shop
    _categories(t)
    assert 'id="cart-summary"' not in b.get("/").text  # nothing in the cart: no bar
    b.post("/cart/add", {"sku": "TEA-1", "qty": "12"}, hx=True)  # 12 × 8.00 (break) instead of 10.00 list
    bar = b.get("/cart/bar").text
    assert 'id="cart-total"' in bar and "¥96.00" in bar
    assert "¥24.00" in bar.split('id="cart-savings"', 1)[1]  # 12 × (10.00 − 8.00)
    page = b.get("/p/TEA-2").text
    assert 'id="cart-summary"' in page and "¥96.00" in page
    breaks = b.get("/p/TEA-1").text.split('id="price-breaks"', 1)[1].split("</div>", 1)[0]
    assert "12" in breaks and "¥8.00" in breaks


def test_search_suggestions_and_next_page_fragment(shop: tuple[TenantAPI, Browser]) -> None:
    t, b = shop
    for i in range(30):
        t.ok("put", f"/products/BULK-{i:02d}", {"name": f"Bulk {i:02d}", "price": "1.00"})
    sug = b.get("/search/suggest", params={"q": "乌龙"}).text
    assert "/p/TEA-1" in sug and "TEA-2" not in sug
    assert "/p/" not in b.get("/search/suggest", params={"q": "zzzz-nothing"}).text
    first = b.get("/").text
    assert 'hx-trigger="revealed"' in first and "page_no=2" in first
    more = b.get("/", params={"page_no": "2"}, headers={"HX-Request": "true"}).text
    assert "<html" not in more and 'class="product"' in more


def test_visitors_see_what_the_brand_chooses(web: Any, tenant: TenantAPI, client: Any) -> None:
    setup_shop(tenant)
    base = f"/t/{tenant.slug}"
    assert "TEA-1" not in web.get(f"{base}/").text and f"{base}/apply" in web.get(f"{base}/").text
    owner = Browser(web, tenant.slug)
    for mode, priced in (("catalog", False), ("retail", True)):
        owner.login(f"owner@{tenant.slug}.test")
        resp = owner.post("/admin/settings", {"storefront_visitors": mode})
        assert resp.status_code in (302, 303), resp.text[:300]
        web.cookies.clear()
        html = web.get(f"{base}/").text
        assert 'id="product-TEA-1"' in html          # the product with a retail price
        assert ("¥15.00" in html) is priced            # its retail price, only in "retail"
        assert "¥9.00" not in html and "¥10.00" not in html
        assert 'name="qty"' not in html               # visitors do not order
    owner.login(f"owner@{tenant.slug}.test")
    owner.post("/admin/settings", {"storefront_visitors": "hidden"})
    web.cookies.clear()
    assert "TEA-1" not in web.get(f"{base}/").text


def test_a_store_applies_and_an_admin_approves_it(web: Any, tenant: TenantAPI) -> None:
    setup_shop(tenant)
    visitor = Browser(web, tenant.slug)
    web.cookies.clear()
    web.cookies.set("qd_lang", "en")
    form = {"company": "好又多便利店", "contact": "王小明", "phone": "13800000000", "email": "wang@shop.test",
            "password": PASSWORD, "region": "上海/静安区", "address": "南京西路1号"}
    bad = visitor.post("/apply", {**form, "email": "nope"})
    assert bad.status_code == 422 and 'data-field="email"' in bad.text and "好又多便利店" in bad.text
    assert visitor.post("/apply", form).status_code == 200
    again = visitor.post("/apply", form)
    assert again.status_code == 422 and "waiting for review" in again.text
    owner = Browser(web, tenant.slug)
    owner.login(f"owner@{tenant.slug}.test")
    web.cookies.set("qd_lang", "en")
    dash = owner.get("/admin").text
    assert re.search(r'data-todo="/admin/applications">.*?t-count">1<', dash, re.S)
    listing = owner.get("/admin/applications").text
    app_id = re.search(r'id="app-(\d+)"', listing).group(1)
    assert "王小明" in listing and "13800000000" in listing
    taken = owner.post(f"/admin/applications/{app_id}/approve", {"code": "C1", "type": "store"},
                       follow_redirects=True)
    assert "already exists" in taken.text
    done = owner.post(f"/admin/applications/{app_id}/approve", {"code": "SH-NEW", "type": "store", "tier": "gold"},
                      follow_redirects=True)
    assert "SH-NEW" in done.text
    customer = tenant.ok("get", "/customers/SH-NEW")
    assert customer["name"] == "好又多便利店" and customer["tier"] == "gold"
    assert "approved already" in owner.post(f"/admin/applications/{app_id}/approve", {"code": "SH-X"},
                                            follow_redirects=True).text
    # the applicant signs in with the password they chose and sees the tier price
    buyer = Browser(web, tenant.slug)
    buyer.login("wang@shop.test")
    assert "¥9.00" in buyer.get("/").text


def test_rejecting_needs_a_reason_and_changes_nothing_else(web: Any, tenant: TenantAPI) -> None:
    visitor = Browser(web, tenant.slug)
    web.cookies.clear()
    visitor.post("/apply", {"company": "X", "contact": "Y", "phone": "1", "email": "x@shop.test",
                            "password": PASSWORD})
    owner = Browser(web, tenant.slug)
    owner.login(f"owner@{tenant.slug}.test")
    web.cookies.set("qd_lang", "en")
    app_id = re.search(r'id="app-(\d+)"', owner.get("/admin/applications").text).group(1)
    assert "give a reason" in owner.post(f"/admin/applications/{app_id}/reject", {"reason": " "},
                                         follow_redirects=True).text
    owner.post(f"/admin/applications/{app_id}/reject", {"reason": "not in our area"})
    rejected = owner.get("/admin/applications", params={"status": "rejected"}).text
    assert "not in our area" in rejected
    assert tenant.client.get(f"/t/{tenant.slug}/api/v1/customers", headers=tenant.headers).json() == []


def test_buyer_signs_out_from_the_account_tab_with_confirmation(shop: tuple[TenantAPI, Browser]) -> None:
    _t, b = shop
    home = b.get("/").text
    header = home.split("</header>", 1)[0]
    assert "/logout" not in header  # no sign-out button in the phone header
    account = b.get("/account").text
    out = account.split('id="sign-out"', 1)[1]
    assert 'action="/t/' in out and "/logout" in out and "data-confirm=" in out
