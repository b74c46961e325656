"""The distributor back office pages (HTML): stores, prices, stock and orders, scoped to the distributor."""

from __future__ import annotations

from typing import Any

from tests.channels_support import build_channel, stock_dist
from tests.conftest import TenantAPI, csrf_of, web_login


def _emails(tenant: TenantAPI, code: str) -> str:
    email = f"{code.lower()}-pages@buyer.test"
    tenant.ok("put", f"/customers/{code}/users/{email}", {"password": "correct-horse-battery"})
    return email


def test_back_office_pages_walk(web: Any, tenant: TenantAPI) -> None:
    ch = build_channel(tenant)
    stock_dist(ch, 10)
    number = ch.store.ok("post", "/orders", {"lines": [{"sku": "TEA", "qty": 2}]})["number"]
    base = f"/t/{tenant.slug}/reseller"
    assert web.get(base, follow_redirects=False).status_code in (302, 303)  # signed out: sign in first
    web_login(web, tenant.slug, _emails(tenant, "DIST"))
    home = web.get(base)
    assert home.status_code == 200 and 'id="kpi-submitted"' in home.text
    assert f"/t/{tenant.slug}/reseller" in web.get(f"/t/{tenant.slug}/").text  # the tab in the storefront menu
    assert number in web.get(f"{base}/orders").text
    page = web.get(f"{base}/orders/{number}")
    assert page.status_code == 200 and 'id="do-approved"' in page.text
    for status in ("approved", "picking", "shipped"):
        resp = web.post(f"{base}/orders/{number}/status", data={"status": status, "_csrf_token": csrf_of(web)})
        assert resp.status_code == 200, resp.text[:300]
    assert ch.dist.ok("get", f"/reseller/orders/{number}")["status"] == "shipped"
    stock = web.get(f"{base}/stock").text
    assert 'id="stock-TEA"' in stock and "<b class=\"avail\">8</b>" in stock
    bad = web.post(f"{base}/orders/{number}/status", data={"status": "approved", "_csrf_token": csrf_of(web)})
    assert bad.status_code == 409
    # prices: below the floor is refused in words, a good one is saved
    resp = web.post(f"{base}/prices", data={"sku": "TEA", "price": "1.00", "_csrf_token": csrf_of(web)})
    assert resp.status_code == 422 and 'class="flash error"' in resp.text
    resp = web.post(f"{base}/prices", data={"sku": "TEA", "price": "12.00", "_csrf_token": csrf_of(web)})
    assert resp.status_code == 200
    assert ch.dist.ok("get", "/reseller/prices")[0]["price"] == "12.00"
    resp = web.post(f"{base}/prices", data={"sku": "TEA", "price": "abc", "_csrf_token": csrf_of(web)})
    assert resp.status_code == 422
    # stores: add one with a login; a taken code is refused
    resp = web.post(f"{base}/stores", data={"code": "NEWP", "name": "Page store", "region": "浙江/温州",
                                            "_csrf_token": csrf_of(web)})
    assert resp.status_code == 200 and "NEWP" in resp.text
    resp = web.post(f"{base}/stores", data={"code": "STORE2", "name": "x", "_csrf_token": csrf_of(web)})
    assert resp.status_code == 409
    # another distributor's order is 404 here
    other = ch.store2
    assert other.get("/reseller/orders").status_code == 404


def test_back_office_is_not_for_other_logins(web: Any, tenant: TenantAPI) -> None:
    ch = build_channel(tenant)
    stock_dist(ch, 5)
    number = ch.store.ok("post", "/orders", {"lines": [{"sku": "TEA", "qty": 1}]})["number"]
    web_login(web, tenant.slug, _emails(tenant, "DIST2"))
    base = f"/t/{tenant.slug}/reseller"
    assert web.get(base).status_code == 200
    assert number not in web.get(f"{base}/orders").text
    assert web.get(f"{base}/orders/{number}").status_code == 404
    resp = web.post(f"{base}/orders/{number}/status", data={"status": "approved", "_csrf_token": csrf_of(web)})
    assert resp.status_code == 404
    assert ch.dist.ok("get", f"/reseller/orders/{number}")["status"] == "submitted"
    web.post(f"/t/{tenant.slug}/logout", data={"_csrf_token": csrf_of(web)})
    web_login(web, tenant.slug, _emails(tenant, "STORE1"))
    assert web.get(base).status_code == 404


def test_brand_sell_through_page(web: Any, tenant: TenantAPI) -> None:
    from tests.channels_support import deliver

    ch = build_channel(tenant)
    stock_dist(ch, 10)
    number = ch.store.ok("post", "/orders", {"lines": [{"sku": "TEA", "qty": 4}]})["number"]
    deliver(ch.dist, number, "/reseller/orders")
    web_login(web, tenant.slug, f"owner@{tenant.slug}.test")
    base = f"/t/{tenant.slug}/admin/sell-through"
    page = web.get(f"{base}?group_by=store&group_by=region")
    assert page.status_code == 200
    assert "STORE1" in page.text and "浙江/杭州" in page.text and 'id="dist-DIST"' in page.text
    assert "chartjs/chart.umd.min.js" in page.text and "data-chart=" in page.text
    assert f'href="/t/{tenant.slug}/admin/sell-through"' in page.text  # in the admin sidebar
    xlsx = web.get(f"{base}?group_by=product&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert web.get(f"{base}?from=2026-99-01").status_code == 422
    assert web.get(f"{base}?group_by=bogus").status_code == 422


def test_storefront_says_the_distributor_sells(web: Any, tenant: TenantAPI) -> None:
    ch = build_channel(tenant)
    stock_dist(ch, 6)
    ch.dist.ok("put", "/reseller/prices/TEA", {"price": "12.00"})
    web_login(web, tenant.slug, _emails(tenant, "STORE1"))
    product = web.get(f"/t/{tenant.slug}/p/TEA")
    assert product.status_code == 200 and 'id="sold-by"' in product.text and "¥12.00" in product.text
    grid = web.get(f"/t/{tenant.slug}/")
    assert "¥12.00" in grid.text
    web.post(f"/t/{tenant.slug}/cart/add", data={"sku": "TEA", "qty": "2", "_csrf_token": csrf_of(web)})
    cart = web.get(f"/t/{tenant.slug}/cart")
    assert 'id="sold-by"' in cart.text and "¥24.00" in cart.text
    assert 'id="sold-by"' in web.get(f"/t/{tenant.slug}/checkout").text
    # the brand's own buyer sees no such line
    web.post(f"/t/{tenant.slug}/logout", data={"_csrf_token": csrf_of(web)})
    web_login(web, tenant.slug, _emails(tenant, "DIST"))
    assert 'id="sold-by"' not in web.get(f"/t/{tenant.slug}/p/TEA").text


def test_brand_turns_a_customer_into_a_distributor_on_its_page(web: Any, tenant: TenantAPI) -> None:
    ch = build_channel(tenant)
    stock_dist(ch, 3)
    web_login(web, tenant.slug, f"owner@{tenant.slug}.test")
    base = f"/t/{tenant.slug}/admin/customers"
    form = web.get(f"{base}/DIST").text
    assert 'id="f-can_resell" name="can_resell" value="true" checked' in form
    resp = web.post(f"{base}/STORE1", data={"name": "STORE1", "type": "store", "parent": "DIST",
                                            "region": "浙江/杭州", "status": "active", "can_resell": "true",
                                            "direct_from_brand": "true", "_csrf_token": csrf_of(web)},
                    follow_redirects=False)
    assert resp.status_code in (200, 302, 303), resp.text[:300]
    got = tenant.ok("get", "/customers/STORE1")
    assert got["can_resell"] is True and got["direct_from_brand"] is True
    # the brand's stock pages leave the distributor's warehouse out
    stock = web.get(f"/t/{tenant.slug}/admin/stock").text
    assert "~stock" not in stock
