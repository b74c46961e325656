"""Staff roles through the API, and sales reps who see only their own customers and orders."""

from __future__ import annotations

from tests.conftest import PASSWORD, TenantAPI


def test_sales_rep_sees_only_own_customers_and_orders(tenant: TenantAPI) -> None:
    tenant.ok("put", "/staff/rep1@x.test", {"role": "sales_rep", "password": PASSWORD})
    tenant.ok("put", "/staff/rep2@x.test", {"role": "sales_rep", "password": PASSWORD})
    tenant.ok("put", "/products/P", {"name": "P", "price": "2.00"})
    tenant.ok("put", "/warehouses/W", {"name": "W"})
    tenant.ok("put", "/warehouses/W/stock/P", {"on_hand": 10})
    mine = tenant.buyer("MINE", sales_rep="rep1@x.test")
    theirs = tenant.buyer("THEIRS", sales_rep="rep2@x.test")
    n_mine = mine.ok("post", "/orders", {"lines": [{"sku": "P", "qty": 1}]})["number"]
    n_theirs = theirs.ok("post", "/orders", {"lines": [{"sku": "P", "qty": 1}]})["number"]
    rep = tenant.as_user("rep1@x.test")
    assert [c["code"] for c in rep.ok("get", "/customers")] == ["MINE"]
    assert rep.get("/customers/THEIRS").status_code == 404
    assert [o["number"] for o in rep.ok("get", "/orders")["items"]] == [n_mine]
    assert rep.get(f"/orders/{n_theirs}").status_code == 404
    assert rep.get(f"/orders/{n_mine}").status_code == 200
    # the owner sees everyone
    assert {c["code"] for c in tenant.ok("get", "/customers")} >= {"MINE", "THEIRS"}
    assert tenant.ok("get", "/customers/MINE")["sales_rep"] == "rep1@x.test"


def test_staff_api_validation(tenant: TenantAPI) -> None:
    assert tenant.put("/staff/a@x.test", json={"role": "king", "password": PASSWORD}).status_code == 422
    assert tenant.put("/staff/a@x.test", json={"role": "warehouse", "password": "short"}).status_code == 422
    assert tenant.put("/staff/a@x.test", json={"role": "warehouse", "password": PASSWORD}).status_code == 201
    assert tenant.put("/staff/a@x.test", json={"role": "order_clerk"}).status_code == 200
    assert tenant.put(f"/staff/owner@{tenant.slug}.test", json={"role": "admin"}).status_code == 409
    clerk = tenant.as_user("a@x.test")
    assert clerk.put("/staff/b@x.test", json={"role": "admin", "password": PASSWORD}).status_code == 403
    assert tenant.put("/customers/C", json={"name": "C", "sales_rep": "nobody@x.test"}).status_code == 422


def test_sales_rep_admin_pages_show_only_own_customers(tenant: TenantAPI, web: object) -> None:
    from tests.conftest import web_login

    tenant.ok("put", "/staff/rep1@x.test", {"role": "sales_rep", "password": PASSWORD})
    tenant.ok("put", "/customers/MINE", {"name": "Mine Co", "sales_rep": "rep1@x.test"})
    tenant.ok("put", "/customers/THEIRS", {"name": "Theirs Co"})
    web_login(web, tenant.slug, "rep1@x.test")  # type: ignore[arg-type]
    listing = web.get(f"/t/{tenant.slug}/admin/customers")  # type: ignore[attr-defined]
    assert listing.status_code == 200 and "MINE" in listing.text and "THEIRS" not in listing.text
    tree = web.get(f"/t/{tenant.slug}/admin/customers/tree")  # type: ignore[attr-defined]
    assert "THEIRS" not in tree.text
    assert web.get(f"/t/{tenant.slug}/admin/customers/THEIRS").status_code == 404  # type: ignore[attr-defined]
