"""Storefront pages: catalog, saved cart with live quote, quick order, reorder, checkout and
"my orders" — driven through the HTML forms like a browser, with the CSRF cookie."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import PASSWORD, TenantAPI


class Browser:
    """A signed-in buyer using the storefront pages through the shared test client."""

    def __init__(self, client: TestClient[Any], slug: str) -> None:
        self.client, self.slug = client, slug

    def url(self, path: str) -> str:
        return f"/t/{self.slug}{path}"

    def csrf(self) -> str:
        token = self.client.cookies.get("qd_csrf")
        if not token:
            self.client.get(self.url("/login"))
            token = self.client.cookies.get("qd_csrf")
        assert token
        return token

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(self.url(path), **kw)

    def post(self, path: str, data: dict[str, Any] | None = None, *, hx: bool = False, **kw: Any) -> Any:
        headers = {**({"HX-Request": "true"} if hx else {}), **kw.pop("headers", {})}
        return self.client.post(self.url(path), data={**(data or {}), "_csrf_token": self.csrf()},
                                headers=headers, follow_redirects=kw.pop("follow_redirects", False), **kw)

    def login(self, email: str, password: str = PASSWORD) -> None:
        self.client.cookies.clear()
        self.client.get(self.url("/login"))
        resp = self.post("/login", {"email": email, "password": password})
        assert resp.status_code in (302, 303), resp.text


@pytest.fixture
def web(client: TestClient[Any]) -> Iterator[Any]:
    client.cookies.clear()
    yield client
    client.cookies.clear()


def setup_shop(t: TenantAPI) -> str:
    """Catalog with a tier price, stock, and a buyer of a gold-tier customer; returns its email."""
    t.ok("put", "/brands/acme", {"name": "Acme"})
    t.ok("put", "/brands/zen", {"name": "Zen"})
    t.ok("put", "/products/TEA-1", {"name": "乌龙茶 500ml", "price": "10.00", "brand": "acme",
                                    "retail_price": "15.00", "unit": "瓶"})
    t.ok("put", "/products/TEA-2", {"name": "绿茶 500ml", "price": "8.50", "brand": "acme"})
    t.ok("put", "/products/ZEN-1", {"name": "Matcha", "price": "30.00", "brand": "zen"})
    t.ok("put", "/warehouses/WH1", {"name": "Shanghai"})
    for sku, qty in (("TEA-1", 100), ("TEA-2", 5), ("ZEN-1", 50)):
        t.ok("put", f"/warehouses/WH1/stock/{sku}", {"on_hand": qty})
    t.ok("put", "/tiers/gold", {"name": "Gold"})
    t.ok("put", "/prices/tier/gold/TEA-1", {"price": "9.00"})
    email = f"c1-{uuid.uuid4().hex[:6]}@buyer.test"
    t.buyer("C1", email=email, tier="gold")
    return email


@pytest.fixture
def shop(web: Any, tenant: TenantAPI) -> tuple[TenantAPI, Browser]:
    email = setup_shop(tenant)
    b = Browser(web, tenant.slug)
    b.login(email)
    b.email = email  # type: ignore[attr-defined]
    return tenant, b


def stock_of(t: TenantAPI, sku: str) -> dict[str, Any]:
    return t.ok("get", f"/stock/{sku}")[0]


def cart_skus(b: Browser) -> dict[str, int]:
    html = b.get("/cart").text
    return {sku: int(qty) for sku, qty in re.findall(
        r'id="line-([^"]+)".*?name="qty" value="(\d+)"', html, re.S)}


# --- catalog ------------------------------------------------------------------------------

def test_anonymous_sees_sign_in_prompt(web: Any, tenant: TenantAPI) -> None:
    setup_shop(tenant)
    resp = web.get(f"/t/{tenant.slug}/")
    assert resp.status_code == 200
    assert f"/t/{tenant.slug}/login" in resp.text
    assert "TEA-1" not in resp.text
    assert web.get(f"/t/{tenant.slug}/cart", follow_redirects=False).status_code in (302, 303)


def test_catalog_shows_own_prices_stock_search_brand_and_paging(shop: tuple[TenantAPI, Browser]) -> None:
    t, b = shop
    html = b.get("/").text
    assert "¥9.00" in html and "TEA-1" in html  # tier price, not the base 10.00
    assert "¥8.50" in html
    assert "100" in html  # orderable stock
    # search by pinyin initials (乌龙茶 -> wlc), by SKU, by name
    assert "TEA-1" in b.get("/?q=wlc").text and "TEA-2" not in b.get("/?q=wlc").text
    assert "ZEN-1" in b.get("/?q=zen-1").text
    assert "TEA-1" not in b.get("/?brand=zen").text and "ZEN-1" in b.get("/?brand=zen").text
    for i in range(30):
        t.ok("put", f"/products/BULK-{i:02d}", {"name": f"Bulk {i}", "price": "1.00"})
    first, second = b.get("/").text, b.get("/?page_no=2").text
    assert "BULK-00" in first and "ZEN-1" not in first
    assert "ZEN-1" in second
    assert b.get("/?page_no=abc").status_code == 200  # a bad page number is page 1, not an error


def test_product_page_and_add_to_cart_badge(shop: tuple[TenantAPI, Browser]) -> None:
    _t, b = shop
    html = b.get("/p/TEA-1").text
    assert "乌龙茶" in html and "¥9.00" in html and "瓶" in html and 'id="add-to-cart"' in html
    assert b.get("/p/NOPE").status_code == 404
    resp = b.post("/cart/add", {"sku": "TEA-1", "qty": "3"}, hx=True)
    assert resp.status_code == 200
    assert 'id="cart-badge"' in resp.text and ">1</span>" in resp.text
    b.post("/cart/add", {"sku": "TEA-1", "qty": "2"}, hx=True)
    assert cart_skus(b) == {"TEA-1": 5}


@pytest.mark.parametrize("qty", ["0", "-1", "1.5", "abc", "", "100001"])
def test_add_to_cart_bad_quantity_changes_nothing(shop: tuple[TenantAPI, Browser], qty: str) -> None:
    _t, b = shop
    resp = b.post("/cart/add", {"sku": "TEA-1", "qty": qty}, hx=True)
    assert resp.status_code == 200 and 'class="flash error"' in resp.text
    assert cart_skus(b) == {}
    plain = b.post("/cart/add", {"sku": "TEA-1", "qty": qty})
    assert plain.status_code == 422 and "Traceback" not in plain.text


def test_add_unknown_sku_is_refused(shop: tuple[TenantAPI, Browser]) -> None:
    _t, b = shop
    resp = b.post("/cart/add", {"sku": "NOPE", "qty": "1"}, hx=True)
    assert 'flash error' in resp.text
    assert cart_skus(b) == {}


# --- cart ------------------------------------------------------------------------------

def test_cart_quote_rules_and_violations_in_words(shop: tuple[TenantAPI, Browser]) -> None:
    t, b = shop
    t.ok("put", "/settings/ordering", {"min_order_amount": "100.00"})
    b.post("/cart/add", {"sku": "TEA-1", "qty": "5"}, hx=True)  # 5 x 9.00 = 45.00
    b.post("/cart/add", {"sku": "TEA-2", "qty": "2"}, hx=True)  # 2 x 8.50 = 17.00
    html = b.get("/cart").text
    assert "¥45.00" in html and "¥17.00" in html and "¥62.00" in html
    assert "¥100.00" in html  # the rule is shown up front
    assert "¥38.00" in html  # "add ¥38.00 more"
    assert 'id="checkout"' not in html  # checkout is blocked until the rule is met
    # more than in stock: explained
    resp = b.post("/cart/items/TEA-2", {"qty": "9"}, hx=True)
    assert resp.status_code == 200
    assert "5" in resp.text and "TEA-2" in resp.text and 'id="violations"' in resp.text
    # raise the quantity past the minimum: checkout opens
    b.post("/cart/items/TEA-2", {"qty": "5"}, hx=True)
    b.post("/cart/items/TEA-1", {"qty": "7"}, hx=True)  # 63 + 42.50 = 105.50
    html = b.get("/cart").text
    assert "¥105.50" in html and 'id="checkout"' in html


def test_cart_follows_buyer_across_devices(web: Any, tenant: TenantAPI) -> None:
    email = setup_shop(tenant)
    phone = Browser(web, tenant.slug)
    phone.login(email)
    phone.post("/cart/add", {"sku": "ZEN-1", "qty": "2"}, hx=True)
    web.cookies.clear()  # another device: a fresh sign-in
    laptop = Browser(web, tenant.slug)
    laptop.login(email)
    assert cart_skus(laptop) == {"ZEN-1": 2}


@pytest.mark.parametrize("qty", ["0", "-3", "2.5", "x"])
def test_cart_bad_quantity_keeps_line(shop: tuple[TenantAPI, Browser], qty: str) -> None:
    _t, b = shop
    b.post("/cart/add", {"sku": "TEA-1", "qty": "4"}, hx=True)
    resp = b.post("/cart/items/TEA-1", {"qty": qty}, hx=True)
    assert resp.status_code == 200 and "flash error" in resp.text
    assert cart_skus(b) == {"TEA-1": 4}
    assert b.post("/cart/items/TEA-1", {"qty": qty}).status_code == 422


def test_remove_and_clear(shop: tuple[TenantAPI, Browser]) -> None:
    _t, b = shop
    b.post("/cart/add", {"sku": "TEA-1", "qty": "1"}, hx=True)
    b.post("/cart/add", {"sku": "TEA-2", "qty": "1"}, hx=True)
    b.post("/cart/items/TEA-1", {"remove": "1", "qty": "1"}, hx=True)
    assert cart_skus(b) == {"TEA-2": 1}
    b.post("/cart/clear", hx=True)
    assert cart_skus(b) == {}
    assert b.post("/cart/items/NOPE", {"qty": "1"}).status_code == 404


# --- quick order ---------------------------------------------------------------------------

def test_quick_order_paste(shop: tuple[TenantAPI, Browser]) -> None:
    _t, b = shop
    resp = b.post("/quick-order", {"lines": "TEA-1 3\nTEA-2,\t2\n\nZEN-1\t1\nTEA-1, 2"})
    assert resp.status_code == 200, resp.text
    assert cart_skus(b) == {"TEA-1": 5, "TEA-2": 2, "ZEN-1": 1}


def test_quick_order_errors_per_line_add_nothing(shop: tuple[TenantAPI, Browser]) -> None:
    _t, b = shop
    resp = b.post("/quick-order", {"lines": "TEA-1 3\nNOPE 2\nTEA-2 0\nZEN-1 1.5\nTEA-2\nTEA-1 -4"})
    assert resp.status_code == 422
    text = resp.text
    for line_no in ("2", "3", "4", "5", "6"):
        assert re.search(rf"(Line|行)\s*{line_no}", text) or f" {line_no}" in text
    assert "NOPE" in text
    assert cart_skus(b) == {}
    assert b.post("/quick-order", {"lines": "   "}).status_code == 422


def test_quick_order_xlsx(shop: tuple[TenantAPI, Browser]) -> None:
    from openpyxl import Workbook

    _t, b = shop
    wb = Workbook()
    ws = wb.active
    ws.append(["商品编码", "数量"])
    ws.append(["TEA-1", 4])
    ws.append(["ZEN-1", 2])
    buf = io.BytesIO()
    wb.save(buf)
    resp = b.client.post(b.url("/quick-order"), data={"_csrf_token": b.csrf(), "lines": ""},
                         files={"file": ("order.xlsx", buf.getvalue(),
                                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    assert resp.status_code == 200, resp.text
    assert cart_skus(b) == {"TEA-1": 4, "ZEN-1": 2}
    bad = b.client.post(b.url("/quick-order"), data={"_csrf_token": b.csrf()},
                        files={"file": ("order.xlsx", b"not a spreadsheet", "application/octet-stream")})
    assert bad.status_code == 422 and ".xlsx" in bad.text
    assert cart_skus(b) == {"TEA-1": 4, "ZEN-1": 2}


# --- checkout and orders -------------------------------------------------------------------

def checkout_key(b: Browser) -> str:
    html = b.get("/checkout").text
    m = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert m, html
    return m.group(1)


def test_empty_cart_checkout(shop: tuple[TenantAPI, Browser]) -> None:
    _t, b = shop
    assert b.get("/checkout", follow_redirects=False).status_code in (302, 303)
    resp = b.post("/checkout", {"idempotency_key": "k-" + uuid.uuid4().hex, "address_text": "somewhere"})
    assert resp.status_code in (302, 303) and resp.headers["location"].endswith("/cart")


def test_checkout_places_order_equal_to_quote_and_is_double_submit_safe(shop: tuple[TenantAPI, Browser]) -> None:
    t, b = shop
    b.post("/cart/add", {"sku": "TEA-1", "qty": "3"}, hx=True)
    b.post("/cart/add", {"sku": "TEA-2", "qty": "2"}, hx=True)
    key = checkout_key(b)
    form = {"idempotency_key": key, "address_choice": "new", "address_text": "上海市 1号 张三 13800000000",
            "delivery_date": (date.today() + timedelta(days=7)).isoformat(), "note": "请上午送"}
    # a date in the past is refused in words, nothing placed
    bad = b.post("/checkout", {**form, "delivery_date": "2000-01-01"})
    assert bad.status_code == 422 and "flash error" in bad.text
    assert t.ok("get", "/orders")["items"] == []
    resp = b.post("/checkout", form)
    assert resp.status_code == 303
    number = resp.headers["location"].split("/orders/")[1].split("?")[0]
    again = b.post("/checkout", form)  # the same form twice: the same order
    assert again.status_code == 303 and number in again.headers["location"]
    orders = t.ok("get", "/orders")["items"]
    assert [o["number"] for o in orders] == [number]
    order = t.ok("get", f"/orders/{number}")
    assert Decimal(order["total"]) == Decimal("44.00")  # 3 x 9.00 + 2 x 8.50 = the cart's quote
    api_quote = t.as_user(b.email).ok("post", "/cart/quote", {"lines": [{"sku": "TEA-1", "qty": 3},
                                                                        {"sku": "TEA-2", "qty": 2}]})
    assert Decimal(api_quote["total"]) == Decimal(order["total"])
    assert order["delivery_address"].startswith("上海市") and order["note"] == "请上午送"
    assert stock_of(t, "TEA-1")["reserved"] == 3
    assert cart_skus(b) == {}
    page = b.get(f"/orders/{number}?placed=1").text
    assert number in page and "¥44.00" in page and 'id="timeline"' in page


def test_refused_checkout_keeps_cart_and_explains(shop: tuple[TenantAPI, Browser]) -> None:
    t, b = shop
    b.post("/cart/add", {"sku": "TEA-2", "qty": "3"}, hx=True)
    key = checkout_key(b)
    t.ok("put", "/warehouses/WH1/stock/TEA-2", {"on_hand": 1})  # stock runs out meanwhile
    resp = b.post("/checkout", {"idempotency_key": key, "address_text": "A street 1"})
    assert resp.status_code == 422
    assert "flash error" in resp.text and "绿茶" in resp.text
    assert cart_skus(b) == {"TEA-2": 3}
    assert t.ok("get", "/orders")["items"] == []
    assert stock_of(t, "TEA-2")["reserved"] == 0
    # missing address: refused in words
    t.ok("put", "/warehouses/WH1/stock/TEA-2", {"on_hand": 10})
    resp = b.post("/checkout", {"idempotency_key": key, "address_text": ""})
    assert resp.status_code == 422 and cart_skus(b) == {"TEA-2": 3}


def place(b: Browser) -> str:
    b.post("/cart/add", {"sku": "TEA-1", "qty": "2"}, hx=True)
    resp = b.post("/checkout", {"idempotency_key": checkout_key(b), "address_text": "Road 9"})
    assert resp.status_code == 303, resp.text
    return resp.headers["location"].split("/orders/")[1].split("?")[0]


def test_cancel_while_submitted_releases_stock(shop: tuple[TenantAPI, Browser]) -> None:
    t, b = shop
    number = place(b)
    assert number in b.get("/orders").text
    assert 'id="cancel-order"' in b.get(f"/orders/{number}").text
    resp = b.post(f"/orders/{number}/status", {"status": "cancelled", "note": "changed my mind"})
    assert resp.status_code == 303
    page = b.get(f"/orders/{number}?done=cancelled").text
    assert "changed my mind" in page
    assert t.ok("get", f"/orders/{number}")["status"] == "cancelled"
    assert stock_of(t, "TEA-1")["reserved"] == 0
    # cancelling again, or receiving before delivery: clear message, nothing changed
    again = b.post(f"/orders/{number}/status", {"status": "cancelled"})
    assert again.status_code == 409 and "flash error" in again.text
    assert b.post(f"/orders/{number}/status", {"status": "approved"}).status_code == 422
    assert t.ok("get", f"/orders/{number}")["status"] == "cancelled"


def test_receipt_after_delivery_and_timeline(shop: tuple[TenantAPI, Browser]) -> None:
    t, b = shop
    number = place(b)
    assert b.post(f"/orders/{number}/status", {"status": "received"}).status_code == 409
    for status in ("approved", "picking", "shipped", "delivered"):
        t.ok("post", f"/orders/{number}/status", {"status": status, "note": f"note {status}"})
    page = b.get(f"/orders/{number}").text
    assert 'id="confirm-receipt"' in page and "note shipped" in page
    assert b.post(f"/orders/{number}/status", {"status": "received", "note": "all good"}).status_code == 303
    order = t.ok("get", f"/orders/{number}")
    assert order["status"] == "received"
    assert [e["status"] for e in order["events"]] == ["submitted", "approved", "picking", "shipped", "delivered",
                                                      "received"]


def test_reorder_adds_bought_lines(shop: tuple[TenantAPI, Browser]) -> None:
    _t, b = shop
    number = place(b)
    assert cart_skus(b) == {}
    resp = b.post(f"/orders/{number}/reorder")
    assert resp.status_code == 200
    assert cart_skus(b) == {"TEA-1": 2}


def test_other_buyers_order_is_404(shop: tuple[TenantAPI, Browser], web: Any) -> None:
    t, b = shop
    number = place(b)
    email2 = f"c2-{uuid.uuid4().hex[:6]}@buyer.test"
    t.buyer("C2", email=email2)
    other = Browser(web, t.slug)
    other.login(email2)
    assert other.get(f"/orders/{number}").status_code == 404
    assert other.post(f"/orders/{number}/status", {"status": "cancelled"}).status_code == 404
    assert other.post(f"/orders/{number}/reorder").status_code == 404
    assert other.get("/orders/SO-NOPE").status_code == 404
    assert t.ok("get", f"/orders/{number}")["status"] == "submitted"


def test_other_tenant_cannot_see_products(shop: tuple[TenantAPI, Browser], other_tenant: TenantAPI) -> None:
    _t, b = shop
    other_tenant.ok("put", "/products/SECRET-1", {"name": "Secret", "price": "1.00"})
    assert b.get("/p/SECRET-1").status_code == 404
    resp = b.post("/cart/add", {"sku": "SECRET-1", "qty": "1"}, hx=True)
    assert "flash error" in resp.text


def test_promotion_adjustment_shown_with_its_source(shop: tuple[TenantAPI, Browser]) -> None:
    t, b = shop
    t.ok("put", "/plugins/promotions", {"enabled": True})
    t.ok("put", "/promotions/SAVE5", {"kind": "threshold_amount_off", "threshold": "20.00", "amount": "5.00"})
    b.post("/cart/add", {"sku": "TEA-1", "qty": "3"}, hx=True)  # 27.00 -> 22.00
    html = b.get("/cart").text
    assert "¥27.00" in html and "-¥5.00" in html and "¥22.00" in html
    assert "promotions" in html  # the adjustment names its source
    resp = b.post("/checkout", {"idempotency_key": checkout_key(b), "address_text": "Road 1"})
    number = resp.headers["location"].split("/orders/")[1].split("?")[0]
    page = b.get(f"/orders/{number}").text
    assert "-¥5.00" in page and "¥22.00" in page


def test_guest_catalog_at_retail_prices(web: Any, tenant: TenantAPI) -> None:
    setup_shop(tenant)
    tenant.ok("put", "/plugins/guest_checkout", {"enabled": True})
    html = web.get(f"/t/{tenant.slug}/").text
    assert "TEA-1" in html and "¥15.00" in html  # retail price
    assert "TEA-2" not in html  # no retail price: not sold to guests
    assert f'action="/t/{tenant.slug}/cart/add"' not in html
    assert web.get(f"/t/{tenant.slug}/p/TEA-2").status_code == 404
    assert "¥15.00" in web.get(f"/t/{tenant.slug}/p/TEA-1").text


def test_order_window_and_unavailable_product_explained(shop: tuple[TenantAPI, Browser]) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    t, b = shop
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    start, end = (now + timedelta(hours=2)).strftime("%H:%M"), (now + timedelta(hours=3)).strftime("%H:%M")
    t.ok("put", "/settings/ordering", {"order_window": {"start": start, "end": end}})
    b.post("/cart/add", {"sku": "TEA-1", "qty": "1"}, hx=True)
    b.post("/cart/add", {"sku": "ZEN-1", "qty": "1"}, hx=True)
    t.ok("put", "/products/ZEN-1", {"active": False})
    html = b.get("/cart").text
    assert f"{start}" in html and f"{end}" in html  # the window, in the rules box and in the refusal
    assert 'id="violations"' in html and "Matcha" in html and 'id="checkout"' not in html
    resp = b.post("/checkout", {"idempotency_key": "k-" + uuid.uuid4().hex, "address_text": "Road 1"})
    assert resp.status_code == 422 and "flash error" in resp.text
    assert cart_skus(b) == {"TEA-1": 1, "ZEN-1": 1}
    assert t.ok("get", "/orders")["items"] == []


def test_format_address() -> None:
    from qudao.web.pages.store.checkout import format_address

    assert format_address("  Road 1 ") == "Road 1"
    assert format_address({"contact": "张三", "phone": "138", "address": "上海 1 号"}) == "张三 138 上海 1 号"
    assert format_address({"street": "X"}) == "X"
    assert format_address(None) == ""


def test_coupon_is_kept_with_the_cart_and_used_at_checkout(shop: tuple[TenantAPI, Browser]) -> None:
    t, b = shop
    t.ok("put", "/plugins/promotions", {"enabled": True})
    t.ok("put", "/promotions/TEN", {"kind": "coupon", "amount": "10.00"})
    b.post("/cart/add", {"sku": "ZEN-1", "qty": "1"}, hx=True)  # 30.00
    bad = b.post("/cart/coupon", {"coupon": "NOPE"}, hx=True)
    assert 'id="violations"' in bad.text and "¥30.00" in bad.text
    assert b.post("/cart/coupon", {"coupon": "x" * 65}).status_code == 422
    html = b.post("/cart/coupon", {"coupon": "TEN"}, hx=True).text
    assert "-¥10.00" in html and "¥20.00" in html and 'id="checkout"' in html
    resp = b.post("/checkout", {"idempotency_key": checkout_key(b), "address_text": "Road 1"})
    assert resp.status_code == 303, resp.text
    number = resp.headers["location"].split("/orders/")[1].split("?")[0]
    assert Decimal(t.ok("get", f"/orders/{number}")["total"]) == Decimal("20.00")
    assert 'value="TEN"' not in b.get("/cart").text  # the cart (and its coupon) is emptied with the order


def test_htmx_call_after_sign_out_goes_to_sign_in(web: Any, tenant: TenantAPI) -> None:
    setup_shop(tenant)
    b = Browser(web, tenant.slug)
    resp = b.post("/cart/items/TEA-1", {"qty": "2"}, hx=True,
                  headers={"HX-Current-URL": f"http://testserver.local/t/{tenant.slug}/cart"})
    assert resp.headers.get("hx-redirect") == f"/t/{tenant.slug}/login?next=/t/{tenant.slug}/cart"
