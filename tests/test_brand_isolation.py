"""brand_isolation: authorizations per customer/tier and that no hidden brand leaks anywhere."""

from __future__ import annotations

from typing import Any

from tests.conftest import TenantAPI


def setup(t: TenantAPI) -> None:
    for code in ("acme", "zeta", "omni"):
        t.ok("put", f"/brands/{code}", {"name": code.title()})
    t.ok("put", "/warehouses/WH1", {"name": "Main"})
    for sku, brand in (("A-1", "acme"), ("A-2", "acme"), ("Z-1", "zeta"), ("O-1", "omni"), ("N-1", None)):
        body: dict[str, Any] = {"name": f"Tea {sku}", "price": "10.00", "retail_price": "15.00"}
        if brand:
            body["brand"] = brand
        t.ok("put", f"/products/{sku}", body)
        t.ok("put", f"/warehouses/WH1/stock/{sku}", {"on_hand": 100})
    t.ok("put", "/tiers/gold", {"name": "Gold"})


def enable(t: TenantAPI, on: bool = True) -> None:
    t.ok("put", "/plugins/brand_isolation", {"enabled": on})


def skus(api: TenantAPI, query: str = "") -> set[str]:
    return {i["sku"] for i in api.ok("get", f"/products{query}")["items"]}


def test_api_is_404_while_off(tenant: TenantAPI) -> None:
    tenant.ok("put", "/customers/C1", {"name": "C1"})
    assert tenant.put("/brand-access/C1", json={"brands": []}).status_code == 404
    assert tenant.get("/brand-access/C1").status_code == 404


def test_put_get_replace_and_bad_input(tenant: TenantAPI) -> None:
    setup(tenant)
    enable(tenant)
    tenant.ok("put", "/customers/C1", {"name": "C1"})
    resp = tenant.put("/brand-access/C1", json={"brands": ["acme", "zeta", "acme"]})
    assert resp.status_code == 201, resp.text
    assert resp.json()["brands"] == ["acme", "zeta"]
    resp = tenant.put("/brand-access/C1", json={"brands": ["omni"]})
    assert resp.status_code == 200
    assert tenant.ok("get", "/brand-access/C1")["brands"] == ["omni"]

    # unknown customer: 404; unknown brand: 422 naming it, nothing stored
    assert tenant.put("/brand-access/NOPE", json={"brands": ["acme"]}).status_code == 404
    assert tenant.get("/brand-access/NOPE").status_code == 404
    resp = tenant.put("/brand-access/C1", json={"brands": ["acme", "ghost"]})
    assert resp.status_code == 422
    problem = resp.json()
    assert any("ghost" in e["message"] and e["field"] == "brands[1]" for e in problem["errors"]), problem
    assert tenant.ok("get", "/brand-access/C1")["brands"] == ["omni"]
    for body in ({}, {"brands": "acme"}, {"brands": [1]}, {"brands": [""]}, [1]):
        resp = tenant.put("/brand-access/C1", json=body)
        assert resp.status_code == 422, (body, resp.text)
    assert tenant.ok("get", "/brand-access/C1")["brands"] == ["omni"]
    assert tenant.put("/brand-access/C1", data=b"{nope", headers={"Content-Type": "application/json"}
                      ).status_code == 422

    # an empty list clears
    assert tenant.ok("put", "/brand-access/C1", {"brands": []})["brands"] == []


def test_only_staff_manage_access(tenant: TenantAPI) -> None:
    setup(tenant)
    enable(tenant)
    buyer = tenant.buyer("C1")
    assert buyer.put("/brand-access/C1", json={"brands": ["acme"]}).status_code == 403
    assert buyer.get("/brand-access/C1").status_code == 403


def test_no_hidden_brand_leaks_anywhere(tenant: TenantAPI) -> None:
    setup(tenant)
    buyer = tenant.buyer("C1", warehouse="WH1")
    everything = {"A-1", "A-2", "Z-1", "O-1", "N-1"}
    assert skus(buyer) == everything  # plugin off: full visibility

    enable(tenant)
    # no authorization: no branded product; unbranded products stay visible
    assert skus(buyer) == {"N-1"}
    tenant.ok("put", "/brand-access/C1", {"brands": ["acme"]})
    visible = {"A-1", "A-2", "N-1"}
    hidden = ["Z-1", "O-1"]

    listing = buyer.ok("get", "/products")
    assert {i["sku"] for i in listing["items"]} == visible
    assert listing["total"] == len(visible)
    assert {i["brand"] for i in listing["items"]} <= {"acme", None}
    assert skus(buyer, "?q=Tea") == visible
    assert skus(buyer, "?q=Z-1") == set()
    assert skus(buyer, "?q=O") == set()
    assert skus(buyer, "?brand=zeta") == set()
    assert buyer.ok("get", "/products?brand=zeta")["total"] == 0
    assert skus(buyer, "?brand=acme") == {"A-1", "A-2"}
    assert skus(buyer, "?limit=1&offset=2") <= visible
    for sku in hidden:
        assert buyer.get(f"/products/{sku}").status_code == 404
    assert buyer.get("/products/A-1").status_code == 200

    quote = buyer.ok("post", "/cart/quote", {"lines": [{"sku": "A-1", "qty": 1}, {"sku": "Z-1", "qty": 1}]})
    assert [v["code"] for v in quote["violations"]] == ["unknown_product"]
    assert "Z-1" in quote["violations"][0]["message"]
    assert [line["sku"] for line in quote["lines"]] == ["A-1"]
    resp = buyer.post("/orders", json={"lines": [{"sku": "O-1", "qty": 1}]})
    assert resp.status_code == 422
    assert [v["code"] for v in resp.json()["violations"]] == ["unknown_product"]
    assert tenant.ok("get", "/stock/O-1")[0]["reserved"] == 0
    order = buyer.ok("post", "/orders", {"lines": [{"sku": "A-1", "qty": 2}, {"sku": "N-1", "qty": 1}]})
    assert order["status"] == "submitted"

    # staff still see everything
    assert skus(tenant) == everything
    assert tenant.get("/products/Z-1").status_code == 200

    # turning the plugin off restores visibility; on again, the authorizations are back
    enable(tenant, False)
    assert skus(buyer) == everything
    assert buyer.get("/products/Z-1").status_code == 200
    assert buyer.ok("post", "/cart/quote", {"lines": [{"sku": "Z-1", "qty": 1}]})["violations"] == []
    enable(tenant)
    assert skus(buyer) == visible


def test_tier_authorization_adds_to_customer_list(tenant: TenantAPI) -> None:
    setup(tenant)
    enable(tenant)
    gold = tenant.buyer("G1", tier="gold", warehouse="WH1")
    plain = tenant.buyer("P1", warehouse="WH1")
    assert tenant.put("/brand-access/tier/nope", json={"brands": []}).status_code == 404
    assert tenant.put("/brand-access/tier/gold", json={"brands": ["ghost"]}).status_code == 422
    tenant.ok("put", "/brand-access/tier/gold", {"brands": ["zeta"]})
    assert tenant.ok("get", "/brand-access/tier/gold")["brands"] == ["zeta"]
    tenant.ok("put", "/brand-access/G1", {"brands": ["omni"]})
    assert skus(gold) == {"Z-1", "O-1", "N-1"}
    assert skus(plain) == {"N-1"}
    view = tenant.ok("get", "/brand-access/G1")
    assert view["tier"] == "gold" and view["tier_brands"] == ["zeta"] and view["effective"] == ["omni", "zeta"]
    assert gold.ok("post", "/cart/quote", {"lines": [{"sku": "Z-1", "qty": 1}]})["violations"] == []


def test_other_tenant_cannot_see_or_set_access(tenant: TenantAPI, other_tenant: TenantAPI) -> None:
    setup(tenant)
    enable(tenant)
    enable(other_tenant)
    tenant.ok("put", "/customers/C1", {"name": "C1"})
    tenant.ok("put", "/brand-access/C1", {"brands": ["acme"]})
    assert other_tenant.get("/brand-access/C1").status_code == 404
    assert other_tenant.put("/brand-access/C1", json={"brands": ["acme"]}).status_code == 404
    # tenant A's token on tenant B's path
    resp = tenant.client.get(f"/t/{other_tenant.slug}/api/v1/brand-access/C1", headers=tenant.headers)
    assert resp.status_code == 404
    assert tenant.ok("get", "/brand-access/C1")["brands"] == ["acme"]


def test_admin_pages(tenant: TenantAPI) -> None:
    setup(tenant)
    enable(tenant)
    tenant.ok("put", "/customers/C1", {"name": "Shop One", "tier": "gold"})
    client = tenant.client
    base = f"/t/{tenant.slug}"
    h = tenant.headers
    page = client.get(f"{base}/admin/brand-access", headers=h)
    assert page.status_code == 200 and "Shop One" in page.text
    edit = client.get(f"{base}/admin/brand-access/customer/C1", headers=h)
    assert edit.status_code == 200 and 'value="zeta"' in edit.text and "_csrf_token" in edit.text
    token = _csrf(tenant)
    ph = {**h, "x-csrftoken": token}
    resp = client.post(f"{base}/admin/brand-access/customer/C1", headers=ph, follow_redirects=False,
                       data={"_csrf_token": token, "brands": ["acme", "zeta"]})
    assert resp.status_code in (302, 303), resp.text
    assert tenant.ok("get", "/brand-access/C1")["brands"] == ["acme", "zeta"]
    resp = client.post(f"{base}/admin/brand-access/customer/C1", headers=ph, follow_redirects=False,
                       data={"_csrf_token": token, "brands": ["ghost"]})
    assert resp.status_code == 422 and "ghost" in resp.text
    assert tenant.ok("get", "/brand-access/C1")["brands"] == ["acme", "zeta"]
    resp = client.post(f"{base}/admin/brand-access/tier/gold", headers=ph, follow_redirects=False,
                       data={"_csrf_token": token, "brands": "omni"})
    assert resp.status_code in (302, 303)
    assert tenant.ok("get", "/brand-access/tier/gold")["brands"] == ["omni"]
    resp = client.post(f"{base}/admin/brand-access/customer/C1", headers=ph, follow_redirects=False,
                       data={"_csrf_token": token})
    assert resp.status_code in (302, 303)
    assert tenant.ok("get", "/brand-access/C1")["brands"] == []
    assert client.get(f"{base}/admin/brand-access/customer/NOPE", headers=h).status_code == 404
    assert client.get(f"{base}/admin/brand-access/bogus/C1", headers=h).status_code == 404
    buyer = tenant.buyer("C2")
    assert client.get(f"{base}/admin/brand-access", headers=buyer.headers).status_code == 403


def _csrf(t: TenantAPI) -> str:
    t.client.get(f"/t/{t.slug}/login")
    token = t.client.cookies.get("qd_csrf")
    assert token
    return token
