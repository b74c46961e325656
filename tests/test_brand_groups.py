"""brand_isolation by customer group: grants per group (API and admin page), bad input, and
that a product visible only through a group grant shows up on every buyer path, and disappears
from every path once the grant is removed (or the customer leaves the group)."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSWORD, TenantAPI, csrf_of, web_login
from tests.test_brand_isolation import enable, setup, skus


def groups(t: TenantAPI, customer: str, names: list[str]) -> None:
    t.ok("put", f"/customers/{customer}", {"name": customer, "groups": names})


def test_group_grants_api_and_bad_input(tenant: TenantAPI) -> None:
    setup(tenant)
    assert tenant.put("/brand-access/group/vip", json={"brands": []}).status_code == 404  # plugin off
    enable(tenant)
    tenant.ok("put", "/customers/C1", {"name": "C1", "groups": ["华东大客户", "vip"]})

    resp = tenant.put("/brand-access/group/vip", json={"brands": ["zeta", "acme", "zeta"]})
    assert resp.status_code == 201, resp.text
    assert resp.json() == {"group": "vip", "brands": ["acme", "zeta"]}
    assert tenant.put("/brand-access/group/vip", json={"brands": ["omni"]}).status_code == 200
    assert tenant.ok("get", "/brand-access/group/vip") == {"group": "vip", "brands": ["omni"]}
    assert tenant.ok("put", "/brand-access/group/华东大客户", {"brands": ["acme"]})["group"] == "华东大客户"

    # unknown group (nobody is in it) or unknown brand: 422 naming it, nothing stored
    resp = tenant.put("/brand-access/group/ghosts", json={"brands": ["acme"]})
    assert resp.status_code == 422
    assert any(e["field"] == "group" and "ghosts" in e["message"] for e in resp.json()["errors"]), resp.text
    assert tenant.get("/brand-access/group/ghosts").status_code == 404
    resp = tenant.put("/brand-access/group/vip", json={"brands": ["acme", "nope"]})
    assert resp.status_code == 422
    assert any(e["field"] == "brands[1]" and "nope" in e["message"] for e in resp.json()["errors"]), resp.text
    for body in ({}, {"brands": "acme"}, {"brands": [1]}, [1]):
        assert tenant.put("/brand-access/group/vip", json=body).status_code == 422, body
    assert tenant.put("/brand-access/group/" + "x" * 65, json={"brands": []}).status_code == 422
    assert tenant.ok("get", "/brand-access/group/vip")["brands"] == ["omni"]

    # the customer view lists the groups and what they add
    view = tenant.ok("get", "/brand-access/C1")
    assert view["groups"] == ["vip", "华东大客户"]
    assert view["group_brands"] == ["acme", "omni"] and view["effective"] == ["acme", "omni"]

    # a group nobody is in any more keeps its grants (shown, clearable) but takes no new brands
    groups(tenant, "C1", [])
    assert tenant.ok("get", "/brand-access/group/vip")["brands"] == ["omni"]
    assert tenant.put("/brand-access/group/vip", json={"brands": ["acme"]}).status_code == 422
    assert tenant.ok("put", "/brand-access/group/vip", {"brands": []})["brands"] == []
    assert tenant.get("/brand-access/group/vip").status_code == 404

    # staff only; other tenants see nothing
    buyer = tenant.buyer("C2", groups=["vip"])
    assert buyer.put("/brand-access/group/vip", json={"brands": ["acme"]}).status_code == 403
    assert buyer.get("/brand-access/group/vip").status_code == 403


def test_other_tenant_cannot_touch_groups(tenant: TenantAPI, other_tenant: TenantAPI) -> None:
    setup(tenant)
    enable(tenant)
    enable(other_tenant)
    other_tenant.ok("put", "/brands/acme", {"name": "Acme"})
    tenant.ok("put", "/customers/C1", {"name": "C1", "groups": ["vip"]})
    tenant.ok("put", "/brand-access/group/vip", {"brands": ["acme"]})
    assert other_tenant.get("/brand-access/group/vip").status_code == 404
    assert other_tenant.put("/brand-access/group/vip", json={"brands": ["acme"]}).status_code == 422
    resp = tenant.client.get(f"/t/{other_tenant.slug}/api/v1/brand-access/group/vip", headers=tenant.headers)
    assert resp.status_code == 404
    assert tenant.ok("get", "/brand-access/group/vip")["brands"] == ["acme"]


def _store(web: Any, slug: str, path: str) -> Any:
    return web.get(f"/t/{slug}{path}")


def test_group_grant_shows_everywhere_and_removal_hides_everywhere(tenant: TenantAPI, web: Any) -> None:
    setup(tenant)
    enable(tenant)
    email = "groupie@buyer.test"
    buyer = tenant.buyer("G1", email=email, warehouse="WH1", groups=["vip"])
    tenant.ok("put", "/brand-access/G1", {"brands": ["acme"]})
    other = tenant.buyer("P1", warehouse="WH1", groups=["retail"])  # another group: sees no zeta
    assert skus(buyer) == {"A-1", "A-2", "N-1"}

    tenant.ok("put", "/brand-access/group/vip", {"brands": ["zeta"]})
    visible = {"A-1", "A-2", "Z-1", "N-1"}
    web_login(web, tenant.slug, email)

    def shows_zeta() -> dict[str, bool]:
        quote = buyer.ok("post", "/cart/quote", {"lines": [{"sku": "Z-1", "qty": 1}]})
        home = _store(web, tenant.slug, "/?q=Tea")
        search = _store(web, tenant.slug, "/?q=Z-1")
        assert home.status_code == 200 and search.status_code == 200
        return {
            "listing": "Z-1" in skus(buyer),
            "search": skus(buyer, "?q=Z-1") == {"Z-1"},
            "brand_filter": buyer.ok("get", "/products?brand=zeta")["total"] == 1,
            "product": buyer.get("/products/Z-1").status_code == 200,
            "quote": quote["violations"] == [] and [line["sku"] for line in quote["lines"]] == ["Z-1"],
            "page_listing": "/p/Z-1" in home.text,
            "page_search": "/p/Z-1" in search.text,
            "page_product": _store(web, tenant.slug, "/p/Z-1").status_code == 200,
        }

    assert shows_zeta() == dict.fromkeys(shows_zeta(), True)
    assert skus(buyer) == visible
    order = buyer.ok("post", "/orders", {"lines": [{"sku": "Z-1", "qty": 2}]})
    assert order["status"] == "submitted"
    assert tenant.ok("get", "/stock/Z-1")[0]["reserved"] == 2
    # the storefront's quick order (a page form) accepts it too
    resp = web.post(f"/t/{tenant.slug}/quick-order", data={"lines": "Z-1 1", "_csrf_token": csrf_of(web)})
    assert resp.status_code == 200, resp.text
    # a customer outside the group does not see it
    assert skus(other) == {"N-1"}
    assert other.get("/products/Z-1").status_code == 404

    # removing the grant hides it on every path, orders included
    tenant.ok("put", "/brand-access/group/vip", {"brands": []})
    assert shows_zeta() == dict.fromkeys(shows_zeta(), False)
    assert skus(buyer) == {"A-1", "A-2", "N-1"}
    resp = buyer.post("/orders", json={"lines": [{"sku": "Z-1", "qty": 1}]})
    assert resp.status_code == 422 and [v["code"] for v in resp.json()["violations"]] == ["unknown_product"]
    assert tenant.ok("get", "/stock/Z-1")[0]["reserved"] == 2
    resp = web.post(f"/t/{tenant.slug}/quick-order", data={"lines": "Z-1 1", "_csrf_token": csrf_of(web)})
    assert resp.status_code == 422 and "Z-1" in resp.text

    # granted again, then the customer leaves the group: hidden again
    tenant.ok("put", "/brand-access/group/vip", {"brands": ["zeta"]})
    assert "Z-1" in skus(buyer)
    tenant.ok("put", "/customers/G1", {"name": "G1", "groups": ["retail"]})
    assert "Z-1" not in skus(buyer)
    assert buyer.get("/products/Z-1").status_code == 404
    # staff see everything throughout
    assert "Z-1" in skus(tenant)


def test_group_admin_page(tenant: TenantAPI, web: Any) -> None:
    setup(tenant)
    enable(tenant)
    tenant.ok("put", "/customers/C1", {"name": "Shop One", "groups": ["vip", "华东"]})
    tenant.ok("put", "/customers/C2", {"name": "Shop Two", "groups": ["vip"]})
    base = f"/t/{tenant.slug}"
    web_login(web, tenant.slug, f"owner@{tenant.slug}.test", PASSWORD)
    page = web.get(f"{base}/admin/brand-access")
    assert page.status_code == 200 and 'id="brand-access-groups"' in page.text
    assert page.text.count('id="brand-access-groups"') == 1  # once, in the body, not in the <title>
    title = page.text.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.strip() and "<" not in title
    assert "/admin/brand-access/group/vip" in page.text and "/admin/brand-access/group/%E5%8D%8E%E4%B8%9C" in page.text
    edit = web.get(f"{base}/admin/brand-access/group/vip")
    assert edit.status_code == 200 and 'value="zeta"' in edit.text
    resp = web.post(f"{base}/admin/brand-access/group/vip", follow_redirects=False,
                    data={"_csrf_token": csrf_of(web), "brands": ["acme", "zeta"]})
    assert resp.status_code in (302, 303), resp.text
    assert tenant.ok("get", "/brand-access/group/vip")["brands"] == ["acme", "zeta"]
    # unknown brand: 422 naming it, nothing stored
    resp = web.post(f"{base}/admin/brand-access/group/vip", follow_redirects=False,
                    data={"_csrf_token": csrf_of(web), "brands": ["ghost"]})
    assert resp.status_code == 422 and "ghost" in resp.text
    assert tenant.ok("get", "/brand-access/group/vip")["brands"] == ["acme", "zeta"]
    # the list and the customer's edit page show what the group adds
    page = web.get(f"{base}/admin/brand-access")
    assert page.text.count('<span class="badge">zeta</span>') >= 3  # C1, C2 rows and the group row
    edit = web.get(f"{base}/admin/brand-access/customer/C1")
    assert edit.status_code == 200 and edit.text.count('data-via="group"') == 2  # acme and zeta
    # unknown group: 404 page, nothing stored
    assert web.get(f"{base}/admin/brand-access/group/ghosts").status_code == 404
    resp = web.post(f"{base}/admin/brand-access/group/ghosts", follow_redirects=False,
                    data={"_csrf_token": csrf_of(web), "brands": ["acme"]})
    assert resp.status_code == 404
    assert tenant.get("/brand-access/group/ghosts").status_code == 404
    # clearing
    resp = web.post(f"{base}/admin/brand-access/group/vip", follow_redirects=False,
                    data={"_csrf_token": csrf_of(web)})
    assert resp.status_code in (302, 303)
    assert tenant.ok("get", "/brand-access/group/vip")["brands"] == []
