"""guest_checkout: token-less quotes and orders at retail price, what guests see, rate limits,
share links with clicks and orders, and turning a guest into a customer."""

from __future__ import annotations

from typing import Any

from tests.conftest import TenantAPI

GUEST = {"name": "王小明", "phone": "13800138000", "address": "上海市黄浦区南京东路 1 号"}


def setup(t: TenantAPI) -> None:
    t.ok("put", "/brands/acme", {"name": "Acme"})
    t.ok("put", "/brands/zeta", {"name": "Zeta"})
    t.ok("put", "/warehouses/WH1", {"name": "Main"})
    for sku, brand, retail in (("R-1", "acme", "15.00"), ("R-2", "zeta", "20.00"), ("W-1", "acme", None)):
        body: dict[str, Any] = {"name": f"Tea {sku}", "price": "10.00", "brand": brand}
        if retail:
            body["retail_price"] = retail
        t.ok("put", f"/products/{sku}", body)
        t.ok("put", f"/warehouses/WH1/stock/{sku}", {"on_hand": 100})


def enable(t: TenantAPI, on: bool = True, **settings: Any) -> None:
    body: dict[str, Any] = {"enabled": on}
    if settings:
        body["settings"] = settings
    t.ok("put", "/plugins/guest_checkout", body)


def anon(t: TenantAPI, path: str, json: Any, **kw: Any) -> Any:
    return t.client.post(t.url(path), json=json, **kw)


def test_off_guest_calls_get_401(tenant: TenantAPI) -> None:
    setup(tenant)
    lines = [{"sku": "R-1", "qty": 1}]
    assert anon(tenant, "/cart/quote", {"lines": lines, "guest": GUEST}).status_code == 401
    assert anon(tenant, "/orders", {"lines": lines, "guest": GUEST}).status_code == 401
    assert tenant.ok("get", "/stock/R-1")[0]["reserved"] == 0
    assert tenant.client.get(f"/t/{tenant.slug}/s/whatever").status_code == 404


def test_guest_quotes_and_orders_at_retail_price(tenant: TenantAPI) -> None:
    setup(tenant)
    enable(tenant)
    quote = anon(tenant, "/cart/quote", {"lines": [{"sku": "R-1", "qty": 2}], "guest": GUEST})
    assert quote.status_code == 200, quote.text
    q = quote.json()
    assert q["lines"][0]["unit_price"] == "15.00" and q["total"] == "30.00" and q["violations"] == []

    # no retail price: not sold to guests
    q = anon(tenant, "/cart/quote", {"lines": [{"sku": "W-1", "qty": 1}], "guest": GUEST}).json()
    assert [v["code"] for v in q["violations"]] == ["unknown_product"]
    resp = anon(tenant, "/orders", {"lines": [{"sku": "W-1", "qty": 1}], "guest": GUEST})
    assert resp.status_code == 422 and resp.json()["violations"][0]["code"] == "unknown_product"

    resp = anon(tenant, "/orders", {"lines": [{"sku": "R-1", "qty": 2}], "guest": GUEST},
                headers={"Idempotency-Key": "g-1"})
    assert resp.status_code == 201, resp.text
    order = resp.json()
    assert order["status"] == "submitted" and order["total"] == "30.00" and order["customer"] is None
    assert order["guest"] == GUEST
    again = anon(tenant, "/orders", {"lines": [{"sku": "R-1", "qty": 2}], "guest": GUEST},
                 headers={"Idempotency-Key": "g-1"})
    assert again.status_code == 200 and again.json()["number"] == order["number"]
    staff_view = tenant.ok("get", f"/orders/{order['number']}")
    assert staff_view["guest"]["phone"] == GUEST["phone"] and staff_view["status"] == "submitted"
    assert tenant.ok("get", "/stock/R-1")[0]["reserved"] == 2
    # guest orders go through approval like any order
    assert tenant.ok("post", f"/orders/{order['number']}/status", {"status": "approved"})["status"] == "approved"

    # signed-in buyers still pay their own price
    buyer = tenant.buyer("C1", warehouse="WH1")
    assert buyer.ok("post", "/cart/quote", {"lines": [{"sku": "R-1", "qty": 1}]})["total"] == "10.00"

    # turning it off: 401 again
    enable(tenant, False)
    assert anon(tenant, "/orders", {"lines": [{"sku": "R-1", "qty": 1}], "guest": GUEST}).status_code == 401


def test_guest_bad_contact_details_are_422_and_store_nothing(tenant: TenantAPI) -> None:
    setup(tenant)
    enable(tenant)
    lines = [{"sku": "R-1", "qty": 1}]
    cases = [
        (None, "guest"),
        ("x", "guest"),
        ({"name": "A", "phone": "13800138000"}, "guest.address"),
        ({"phone": "13800138000", "address": "X"}, "guest.name"),
        ({**GUEST, "phone": "call me"}, "guest.phone"),
        ({**GUEST, "phone": ""}, "guest.phone"),
    ]
    for guest, field in cases:
        body: dict[str, Any] = {"lines": lines}
        if guest is not None:
            body["guest"] = guest
        for path in ("/cart/quote", "/orders"):
            resp = anon(tenant, path, body)
            assert resp.status_code == 422, (guest, resp.text)
            assert any(e["field"] == field for e in resp.json()["errors"]), (guest, resp.json())
    assert tenant.ok("get", "/stock/R-1")[0]["reserved"] == 0
    assert tenant.ok("get", "/guest-orders")["total"] == 0


def test_tenant_chooses_what_guests_see(tenant: TenantAPI) -> None:
    setup(tenant)
    enable(tenant, brands="zeta")
    q = anon(tenant, "/cart/quote", {"lines": [{"sku": "R-1", "qty": 1}, {"sku": "R-2", "qty": 1}],
                                     "guest": GUEST}).json()
    assert [v["code"] for v in q["violations"]] == ["unknown_product"] and "R-1" in q["violations"][0]["message"]
    assert [line["sku"] for line in q["lines"]] == ["R-2"]
    assert tenant.client.get(f"/t/{tenant.slug}/guest/p/R-1").status_code == 404
    assert tenant.client.get(f"/t/{tenant.slug}/guest/p/R-2").status_code == 200
    # signed-in buyers are not limited by the guest setting
    buyer = tenant.buyer("C1", warehouse="WH1")
    assert buyer.ok("post", "/cart/quote", {"lines": [{"sku": "R-1", "qty": 1}]})["violations"] == []

    enable(tenant, brands="", categories="nope")
    q = anon(tenant, "/cart/quote", {"lines": [{"sku": "R-2", "qty": 1}], "guest": GUEST}).json()
    assert [v["code"] for v in q["violations"]] == ["unknown_product"]
    enable(tenant, brands="", categories="")
    q = anon(tenant, "/cart/quote", {"lines": [{"sku": "R-1", "qty": 1}, {"sku": "R-2", "qty": 1}],
                                     "guest": GUEST}).json()
    assert q["violations"] == []


def test_guest_rate_limited_per_phone_and_ip(tenant: TenantAPI) -> None:
    setup(tenant)
    enable(tenant, max_orders_per_phone=2, max_orders_per_ip=3)
    lines = [{"sku": "R-1", "qty": 1}]
    for _ in range(2):
        assert anon(tenant, "/orders", {"lines": lines, "guest": GUEST}).status_code == 201
    resp = anon(tenant, "/orders", {"lines": lines, "guest": GUEST})
    assert resp.status_code == 422
    assert [v["code"] for v in resp.json()["violations"]] == ["guest_rate_limited"]
    # a quote is not refused, another phone from the same IP may order once more, then the IP is limited
    assert anon(tenant, "/cart/quote", {"lines": lines, "guest": GUEST}).json()["violations"] == []
    other = {**GUEST, "phone": "13900139000"}
    assert anon(tenant, "/orders", {"lines": lines, "guest": other}).status_code == 201
    resp = anon(tenant, "/orders", {"lines": lines, "guest": {**GUEST, "phone": "13700137000"}})
    assert resp.status_code == 422 and resp.json()["violations"][0]["code"] == "guest_rate_limited"
    assert tenant.ok("get", "/stock/R-1")[0]["reserved"] == 3
    # buyers are never rate limited by this plugin
    buyer = tenant.buyer("C1", warehouse="WH1")
    assert buyer.post("/orders", json={"lines": lines}).status_code == 201
    # 0 switches a limit off
    enable(tenant, max_orders_per_phone=0, max_orders_per_ip=0)
    assert anon(tenant, "/orders", {"lines": lines, "guest": GUEST}).status_code == 201


def test_settings_are_validated(tenant: TenantAPI) -> None:
    resp = tenant.put("/plugins/guest_checkout", json={"enabled": True, "settings": {"max_orders_per_ip": -1}})
    assert resp.status_code == 422
    resp = tenant.put("/plugins/guest_checkout", json={"enabled": True, "settings": {"bogus": 1}})
    assert resp.status_code == 422


def test_share_links_count_clicks_and_orders(tenant: TenantAPI) -> None:
    setup(tenant)
    enable(tenant)
    buyer = tenant.buyer("C1", warehouse="WH1")
    assert buyer.post("/share-links", json={"sku": "NOPE"}).status_code == 422
    assert buyer.post("/share-links", json={}).status_code == 422
    assert tenant.client.post(tenant.url("/share-links"), json={"sku": "R-1"}).status_code == 401
    resp = buyer.post("/share-links", json={"sku": "R-1"})
    assert resp.status_code == 201, resp.text
    link = resp.json()
    assert buyer.post("/share-links", json={"sku": "R-1"}).json()["code"] == link["code"]
    staff_link = tenant.ok("post", "/share-links", {"sku": "R-2"})
    assert staff_link["code"] != link["code"]

    client = tenant.client
    try:
        resp = client.get(link["url"], follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"].endswith("/guest/p/R-1")
        assert client.cookies.get("qd_share") == link["code"]
        page = client.get(resp.headers["location"])
        assert page.status_code == 200 and "15.00" in page.text and "guest-order-form" in page.text
        client.get(link["url"], follow_redirects=False)
        # a guest order with the cookie is attributed to the link
        order = anon(tenant, "/orders", {"lines": [{"sku": "R-1", "qty": 2}], "guest": GUEST})
        assert order.status_code == 201, order.text
    finally:
        client.cookies.clear()
    # an API client passes the code in a header
    assert anon(tenant, "/orders", {"lines": [{"sku": "R-2", "qty": 1}], "guest": GUEST},
                headers={"X-Qudao-Share": staff_link["code"]}).status_code == 201
    # without a code: not attributed
    assert anon(tenant, "/orders", {"lines": [{"sku": "R-1", "qty": 1}], "guest": GUEST}).status_code == 201
    assert client.get(f"/t/{tenant.slug}/s/doesnotexist", follow_redirects=False).status_code == 404

    stats = {i["code"]: i for i in tenant.ok("get", "/share-links")["items"]}
    assert stats[link["code"]]["clicks"] == 2 and stats[link["code"]]["orders"] == 1
    assert stats[link["code"]]["order_total"] == "30.00"
    assert stats[link["code"]]["sharer_kind"] == "customer"
    assert stats[staff_link["code"]]["clicks"] == 0 and stats[staff_link["code"]]["orders"] == 1
    # a buyer sees only its own links
    assert [i["code"] for i in buyer.ok("get", "/share-links")["items"]] == [link["code"]]

    page = client.get(f"/t/{tenant.slug}/admin/guest-checkout", headers=tenant.headers)
    assert page.status_code == 200 and link["code"] in page.text and "30.00" in page.text


def test_guest_page_places_an_order(tenant: TenantAPI) -> None:
    setup(tenant)
    enable(tenant)
    client = tenant.client
    base = f"/t/{tenant.slug}"
    try:
        page = client.get(f"{base}/guest/p/R-1")
        assert page.status_code == 200
        token = client.cookies.get("qd_csrf")
        assert token
        form = {"_csrf_token": token, "qty": "3", "name": GUEST["name"], "phone": "bad", "address": "x",
                "form_key": "k1"}
        resp = client.post(f"{base}/guest/p/R-1", data=form)
        assert resp.status_code == 422 and "phone" in resp.text
        resp = client.post(f"{base}/guest/p/R-1", data={**form, "qty": "1000"})
        assert resp.status_code == 422
        resp = client.post(f"{base}/guest/p/R-1", data={**form, "phone": GUEST["phone"], "qty": "1000"})
        assert resp.status_code == 422 and "1000" in resp.text  # insufficient stock, shown on the page
        resp = client.post(f"{base}/guest/p/R-1", data={**form, "phone": GUEST["phone"]})
        assert resp.status_code == 200 and "order-number" in resp.text, resp.text
        assert client.get(f"{base}/guest/p/W-1").status_code == 404
    finally:
        client.cookies.clear()
    orders = tenant.ok("get", "/guest-orders")["items"]
    assert len(orders) == 1 and orders[0]["total"] == "45.00" and orders[0]["guest"]["phone"] == GUEST["phone"]


def test_guest_becomes_a_customer_in_one_step(tenant: TenantAPI) -> None:
    setup(tenant)
    enable(tenant)
    tenant.ok("put", "/tiers/retail", {"name": "Retail"})
    order = anon(tenant, "/orders", {"lines": [{"sku": "R-1", "qty": 1}], "guest": GUEST}).json()
    number = order["number"]
    assert tenant.post(f"/guest-orders/{number}/customer", json={}).status_code == 422
    assert tenant.post(f"/guest-orders/{number}/customer", json={"code": "bad code!"}).status_code == 422
    assert tenant.post(f"/guest-orders/{number}/customer", json={"code": "G1", "tier": "nope"}).status_code == 422
    assert tenant.post("/guest-orders/SO-NOPE/customer", json={"code": "G1"}).status_code == 404
    assert tenant.get("/customers/G1").status_code == 404
    resp = tenant.post(f"/guest-orders/{number}/customer", json={"code": "G1", "tier": "retail"})
    assert resp.status_code == 201, resp.text
    made = resp.json()
    assert made["name"] == GUEST["name"] and made["contacts"][0]["phone"] == GUEST["phone"]
    assert made["addresses"][0]["address"] == GUEST["address"]
    assert tenant.ok("get", "/customers/G1")["tier"] == "retail"
    assert tenant.post(f"/guest-orders/{number}/customer", json={"code": "G2"}).status_code == 409
    assert tenant.ok("get", "/guest-orders")["items"][0]["customer"] == "G1"
    # a customer order is not a guest order
    buyer = tenant.buyer("C1", warehouse="WH1")
    mine = buyer.ok("post", "/orders", {"lines": [{"sku": "R-1", "qty": 1}]})
    assert tenant.post(f"/guest-orders/{mine['number']}/customer", json={"code": "G3"}).status_code == 404
    assert buyer.post(f"/guest-orders/{number}/customer", json={"code": "G4"}).status_code == 403

    # the admin page's button does the same
    order2 = anon(tenant, "/orders", {"lines": [{"sku": "R-1", "qty": 1}],
                                      "guest": {**GUEST, "phone": "13900139000"}}).json()
    base = f"/t/{tenant.slug}"
    tenant.client.get(f"{base}/login")
    token = tenant.client.cookies.get("qd_csrf")
    headers = {**tenant.headers, "x-csrftoken": token}
    try:
        resp = tenant.client.post(f"{base}/admin/guest-checkout/orders/{order2['number']}/customer",
                                  headers=headers, data={"_csrf_token": token, "code": "G1"}, follow_redirects=False)
        assert resp.status_code == 422 and "G1" in resp.text
        resp = tenant.client.post(f"{base}/admin/guest-checkout/orders/{order2['number']}/customer",
                                  headers=headers, data={"_csrf_token": token, "code": "G5"}, follow_redirects=False)
        assert resp.status_code in (302, 303), resp.text
    finally:
        tenant.client.cookies.clear()
    assert tenant.ok("get", "/customers/G5")["name"] == GUEST["name"]


def test_guest_catalog_page_shows_only_what_guests_may_order(tenant: TenantAPI) -> None:
    setup(tenant)
    base = f"/t/{tenant.slug}"
    assert tenant.client.get(f"{base}/guest").status_code == 404  # plugin off
    enable(tenant, brands="acme")
    page = tenant.client.get(f"{base}/guest")
    assert page.status_code == 200
    assert "/guest/p/R-1" in page.text and "15.00" in page.text
    assert "R-2" not in page.text  # brand not shown to guests
    assert "W-1" not in page.text  # no retail price
    assert "R-1" not in tenant.client.get(f"{base}/guest?q=zzz").text
    assert tenant.client.get(f"{base}/guest?page_no=x").status_code == 200


def test_signed_in_sharer_link_goes_to_storefront_product(tenant: TenantAPI) -> None:
    setup(tenant)
    enable(tenant)
    buyer = tenant.buyer("C1", warehouse="WH1")
    link = buyer.ok("post", "/share-links", {"sku": "R-1"})
    try:
        resp = tenant.client.get(link["url"], headers=buyer.headers, follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"] == f"/t/{tenant.slug}/p/R-1"
    finally:
        tenant.client.cookies.clear()


def test_with_brand_isolation_guests_follow_guest_settings(tenant: TenantAPI) -> None:
    setup(tenant)
    enable(tenant, brands="zeta")
    tenant.ok("put", "/plugins/brand_isolation", {"enabled": True})
    buyer = tenant.buyer("C1", warehouse="WH1")
    tenant.ok("put", "/brand-access/C1", {"brands": ["acme"]})
    lines = [{"sku": "R-1", "qty": 1}, {"sku": "R-2", "qty": 1}]
    q = anon(tenant, "/cart/quote", {"lines": lines, "guest": GUEST}).json()
    assert [line["sku"] for line in q["lines"]] == ["R-2"]
    q = buyer.ok("post", "/cart/quote", {"lines": lines})
    assert [line["sku"] for line in q["lines"]] == ["R-1"]


def test_other_tenant_cannot_touch_guest_orders_or_links(tenant: TenantAPI, other_tenant: TenantAPI) -> None:
    setup(tenant)
    enable(tenant)
    enable(other_tenant)
    order = anon(tenant, "/orders", {"lines": [{"sku": "R-1", "qty": 1}], "guest": GUEST}).json()
    link = tenant.ok("post", "/share-links", {"sku": "R-1"})
    assert other_tenant.post(f"/guest-orders/{order['number']}/customer", json={"code": "X1"}).status_code == 404
    assert other_tenant.ok("get", "/guest-orders")["total"] == 0
    assert other_tenant.ok("get", "/share-links")["total"] == 0
    assert other_tenant.post("/share-links", json={"sku": "R-1"}).status_code == 422
    resp = tenant.client.get(f"/t/{other_tenant.slug}/s/{link['code']}", follow_redirects=False)
    assert resp.status_code == 404
    # tenant A's token on tenant B's paths
    resp = tenant.client.post(f"/t/{other_tenant.slug}/api/v1/guest-orders/{order['number']}/customer",
                              json={"code": "X1"}, headers=tenant.headers)
    assert resp.status_code == 404
    assert tenant.ok("get", "/share-links")["items"][0]["clicks"] == 0
    assert other_tenant.get("/customers/X1").status_code == 404


def test_menus_and_settings_page(tenant: TenantAPI) -> None:
    enable(tenant)
    base = f"/t/{tenant.slug}"
    page = tenant.client.get(f"{base}/admin/plugins/guest_checkout", headers=tenant.headers)
    assert page.status_code == 200 and "max_orders_per_ip" in page.text
    assert f"{base}/admin/guest-checkout" in tenant.client.get(f"{base}/admin", headers=tenant.headers).text
    assert f"{base}/guest" in tenant.client.get(f"{base}/").text
    enable(tenant, False)
    assert f"{base}/guest\"" not in tenant.client.get(f"{base}/").text
    assert tenant.client.get(f"{base}/admin/guest-checkout", headers=tenant.headers).status_code == 404


def test_guest_categories_setting(tenant: TenantAPI) -> None:
    setup(tenant)
    tenant.ok("put", "/products/R-1", {"name": "Tea R-1", "price": "10.00", "brand": "acme", "retail_price": "15.00",
                                       "category": "tea"})
    tenant.ok("put", "/products/R-2", {"name": "Tea R-2", "price": "10.00", "brand": "zeta", "retail_price": "20.00",
                                       "category": "coffee"})
    enable(tenant, categories="tea, 花茶")
    lines = [{"sku": "R-1", "qty": 1}, {"sku": "R-2", "qty": 1}]
    q = anon(tenant, "/cart/quote", {"lines": lines, "guest": GUEST}).json()
    assert [line["sku"] for line in q["lines"]] == ["R-1"]
    enable(tenant, categories="tea,coffee", brands="zeta")
    q = anon(tenant, "/cart/quote", {"lines": lines, "guest": GUEST}).json()
    assert [line["sku"] for line in q["lines"]] == ["R-2"]
