"""Contract: catalog, pricing, stock, settings, quote, orders and the order flow."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TenantAPI


def setup_catalog(t: TenantAPI) -> None:
    t.ok("put", "/brands/acme", {"name": "Acme"})
    t.ok("put", "/products/TEA-1", {"name": "乌龙茶 500ml", "price": "10.00", "brand": "acme", "retail_price": "15.00"})
    t.ok("put", "/products/TEA-2", {"name": "绿茶 500ml", "price": "8.50", "brand": "acme"})
    t.ok("put", "/warehouses/WH1", {"name": "Shanghai"})
    t.ok("put", "/warehouses/WH1/stock/TEA-1", {"on_hand": 100})
    t.ok("put", "/warehouses/WH1/stock/TEA-2", {"on_hand": 5})
    t.ok("put", "/tiers/gold", {"name": "Gold"})


def test_upserts_answer_201_then_200(tenant: TenantAPI) -> None:
    assert tenant.put("/brands/b1", json={"name": "B"}).status_code == 201
    assert tenant.put("/brands/b1", json={"name": "B2"}).status_code == 200
    assert tenant.put("/products/P1", json={"name": "P", "price": "1.00"}).status_code == 201
    assert tenant.put("/products/P1", json={"name": "P", "price": "1.50"}).status_code == 200
    assert tenant.put("/tiers/t1", json={"name": "T"}).status_code == 201
    assert tenant.put("/customers/C1", json={"name": "C", "tier": "t1"}).status_code == 201
    assert tenant.put("/customers/C1", json={"name": "C"}).status_code == 200
    assert tenant.put("/customers/C1/users/a@c1.test", json={"password": "long-enough-pw"}).status_code == 201
    assert tenant.put("/customers/C1/users/a@c1.test", json={"password": "long-enough-pw2"}).status_code == 200
    assert tenant.put("/prices/tier/t1/P1", json={"price": "1.20"}).status_code == 201
    assert tenant.put("/prices/tier/t1/P1", json={"price": "1.10"}).status_code == 200
    assert tenant.put("/prices/customer/C1/P1", json={"price": "1.00"}).status_code == 201
    assert tenant.put("/warehouses/W", json={"name": "W"}).status_code == 201
    assert tenant.put("/warehouses/W/stock/P1", json={"on_hand": 3}).status_code == 201
    assert tenant.put("/warehouses/W/stock/P1", json={"on_hand": 4}).status_code == 200


@pytest.mark.parametrize("path,body,field", [
    ("/products/X1", {"name": "X", "price": "-1"}, "price"),
    ("/products/X1", {"name": "X", "price": "abc"}, "price"),
    ("/products/X1", {"name": "X", "price": 1.5}, None),
    ("/products/X1", {"name": "X", "price": "1.001"}, "price"),
    ("/products/X1", {"name": "X", "price": "1", "brand": "nope"}, "brand"),
    ("/products/X1", {"price": "1"}, "name"),
    ("/customers/C9", {"name": "C", "tier": "nope"}, "tier"),
    ("/customers/C9", {"name": "C", "parent": "nope"}, "parent"),
    ("/customers/C9", {"name": "C", "warehouse": "nope"}, "warehouse"),
    ("/customers/C9", {"name": "C", "parent": "C9"}, "parent"),
    ("/warehouses/W/stock/P1", {"on_hand": -1}, "on_hand"),
    ("/warehouses/W/stock/P1", {"on_hand": 1.5}, "on_hand"),
])
def test_bad_input_is_422_and_names_the_field(tenant: TenantAPI, path: str, body: dict[str, Any],
                                               field: str | None) -> None:
    tenant.ok("put", "/warehouses/W", {"name": "W"})
    tenant.ok("put", "/products/P1", {"name": "P", "price": "1.00"})
    resp = tenant.put(path, json=body)
    if field is None:  # a float amount is accepted only when exact
        assert resp.status_code in (200, 201, 422)
        return
    assert resp.status_code == 422, resp.text
    assert field in [e["field"] for e in resp.json()["errors"]]
    if path.startswith("/products/X1"):
        assert tenant.get("/products?q=X1").json()["total"] == 0


def test_channel_tree_cycle_refused(tenant: TenantAPI) -> None:
    tenant.ok("put", "/customers/A", {"name": "A"})
    tenant.ok("put", "/customers/B", {"name": "B", "parent": "A"})
    tenant.ok("put", "/customers/C", {"name": "C", "parent": "B"})
    resp = tenant.put("/customers/A", json={"name": "A", "parent": "C"})
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "parent"


def test_price_resolution_customer_then_tier_then_base(tenant: TenantAPI) -> None:
    setup_catalog(tenant)
    tenant.ok("put", "/prices/tier/gold/TEA-1", {"price": "9.00"})
    gold = tenant.buyer("G1", tier="gold")
    plain = tenant.buyer("P1")
    special = tenant.buyer("S1", tier="gold")
    tenant.ok("put", "/prices/customer/S1/TEA-1", {"price": "8.00"})

    def price(api: TenantAPI, sku: str) -> str:
        items = {i["sku"]: i for i in api.ok("get", "/products")["items"]}
        return items[sku]["price"]

    assert price(plain, "TEA-1") == "10.00"
    assert price(gold, "TEA-1") == "9.00"
    assert price(special, "TEA-1") == "8.00"
    assert price(gold, "TEA-2") == "8.50"
    listing = gold.ok("get", "/products")
    assert listing["total"] == 2
    assert {i["sku"]: i["available"] for i in listing["items"]} == {"TEA-1": 100, "TEA-2": 5}


def test_products_search_and_paging(tenant: TenantAPI) -> None:
    setup_catalog(tenant)
    assert tenant.ok("get", "/products?q=wlc")["total"] == 1  # pinyin initials of 乌龙茶
    assert tenant.ok("get", "/products?q=绿茶")["items"][0]["sku"] == "TEA-2"
    assert tenant.ok("get", "/products?brand=acme")["total"] == 2
    page = tenant.ok("get", "/products?limit=1&offset=1")
    assert page["total"] == 2 and len(page["items"]) == 1
    assert tenant.get("/products?limit=abc").status_code == 422
    assert tenant.get("/products?limit=0").status_code == 422


def test_quote_and_order_roundtrip(tenant: TenantAPI) -> None:
    setup_catalog(tenant)
    buyer = tenant.buyer("C1")
    body = {"lines": [{"sku": "TEA-1", "qty": 3}, {"sku": "TEA-2", "qty": 2}]}
    q = buyer.ok("post", "/cart/quote", body)
    assert q["subtotal"] == "47.00" and q["total"] == "47.00" and q["discount"] == "0.00"
    assert q["violations"] == []
    assert q["lines"][0] == {**q["lines"][0], "sku": "TEA-1", "qty": 3, "unit_price": "10.00",
                             "line_total": "30.00", "gift": False}
    resp = buyer.post("/orders", json={**body, "note": "请尽快", "delivery_date": "2030-01-02"},
                      headers={"Idempotency-Key": "k1"})
    assert resp.status_code == 201, resp.text
    order = resp.json()
    assert order["status"] == "submitted" and order["total"] == q["total"] and order["customer"] == "C1"
    assert order["number"].startswith("SO")
    assert [e["status"] for e in order["events"]] == ["submitted"]
    again = buyer.post("/orders", json=body, headers={"Idempotency-Key": "k1"})
    assert again.status_code == 200 and again.json()["number"] == order["number"]
    stock = {s["warehouse"]: s for s in tenant.ok("get", "/stock/TEA-1")}
    assert stock["WH1"] == {**stock["WH1"], "on_hand": 100, "reserved": 3, "available": 97}
    assert tenant.ok("get", f"/orders/{order['number']}")["number"] == order["number"]


def test_violations(tenant: TenantAPI) -> None:
    setup_catalog(tenant)
    buyer = tenant.buyer("C1")
    q = buyer.ok("post", "/cart/quote", {"lines": [{"sku": "TEA-2", "qty": 6}, {"sku": "NOPE", "qty": 1}]})
    codes = {v["code"] for v in q["violations"]}
    assert codes == {"insufficient_stock", "unknown_product"}
    tenant.ok("put", "/settings/ordering", {"min_order_amount": "100.00", "min_order_qty": 10})
    q = buyer.ok("post", "/cart/quote", {"lines": [{"sku": "TEA-1", "qty": 2}]})
    assert {v["code"] for v in q["violations"]} == {"min_order_amount", "min_order_qty"}
    resp = buyer.post("/orders", json={"lines": [{"sku": "TEA-1", "qty": 2}]})
    assert resp.status_code == 422
    assert {v["code"] for v in resp.json()["violations"]} == {"min_order_amount", "min_order_qty"}
    assert tenant.ok("get", "/stock/TEA-1")[0]["reserved"] == 0
    tenant.ok("put", "/settings/ordering", {"min_order_amount": None, "min_order_qty": None})
    assert buyer.ok("post", "/cart/quote", {"lines": [{"sku": "TEA-1", "qty": 2}]})["violations"] == []


def test_order_window_outside(tenant: TenantAPI) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    setup_catalog(tenant)
    buyer = tenant.buyer("C1")
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    start = (now + timedelta(hours=2)).strftime("%H:%M")
    end = (now + timedelta(hours=3)).strftime("%H:%M")
    tenant.ok("put", "/settings/ordering", {"order_window": {"start": start, "end": end}})
    q = buyer.ok("post", "/cart/quote", {"lines": [{"sku": "TEA-1", "qty": 1}]})
    assert [v["code"] for v in q["violations"]] == ["outside_order_window"]
    # a window that crosses midnight and contains now
    start = (now - timedelta(hours=1)).strftime("%H:%M")
    end = (now + timedelta(hours=1)).strftime("%H:%M")
    tenant.ok("put", "/settings/ordering", {"order_window": {"start": start, "end": end}})
    assert buyer.ok("post", "/cart/quote", {"lines": [{"sku": "TEA-1", "qty": 1}]})["violations"] == []
    assert tenant.put("/settings/ordering", json={"order_window": {"start": "25:00", "end": "10:00"}}).status_code == 422


@pytest.mark.parametrize("lines", [[], [{"sku": "TEA-1", "qty": 0}], [{"sku": "TEA-1", "qty": -1}],
                                   [{"sku": "TEA-1", "qty": 1.5}], [{"sku": "TEA-1", "qty": "2"}],
                                   [{"sku": "TEA-1", "qty": 10**9}], [{"qty": 1}], "x", None])
def test_bad_quantities_are_422(tenant: TenantAPI, lines: Any) -> None:
    setup_catalog(tenant)
    buyer = tenant.buyer("C1")
    assert buyer.post("/cart/quote", json={"lines": lines}).status_code == 422
    assert buyer.post("/orders", json={"lines": lines}).status_code == 422
    assert tenant.ok("get", "/stock/TEA-1")[0]["reserved"] == 0


def test_order_flow_and_stock(tenant: TenantAPI) -> None:
    setup_catalog(tenant)
    buyer = tenant.buyer("C1")
    number = buyer.ok("post", "/orders", {"lines": [{"sku": "TEA-1", "qty": 4}]})["number"]
    assert buyer.post(f"/orders/{number}/status", json={"status": "approved"}).status_code == 403
    assert tenant.post(f"/orders/{number}/status", json={"status": "shipped"}).status_code == 409
    for status in ["approved", "picking", "shipped", "delivered"]:
        tenant.ok("post", f"/orders/{number}/status", {"status": status, "note": f"to {status}"})
    stock = tenant.ok("get", "/stock/TEA-1")[0]
    assert (stock["on_hand"], stock["reserved"]) == (96, 0)
    done = buyer.ok("post", f"/orders/{number}/status", {"status": "received"})
    assert done["status"] == "received"
    assert [e["status"] for e in done["events"]] == ["submitted", "approved", "picking", "shipped", "delivered",
                                                     "received"]
    assert tenant.post(f"/orders/{number}/status", json={"status": "cancelled"}).status_code == 409
    assert tenant.post(f"/orders/{number}/status", json={"status": "bogus"}).status_code == 422


def test_cancel_and_reject_release_stock(tenant: TenantAPI) -> None:
    setup_catalog(tenant)
    buyer = tenant.buyer("C1")
    n1 = buyer.ok("post", "/orders", {"lines": [{"sku": "TEA-2", "qty": 5}]})["number"]
    assert tenant.ok("get", "/stock/TEA-2")[0]["available"] == 0
    buyer.ok("post", f"/orders/{n1}/status", {"status": "cancelled"})
    assert tenant.ok("get", "/stock/TEA-2")[0]["available"] == 5
    n2 = buyer.ok("post", "/orders", {"lines": [{"sku": "TEA-2", "qty": 5}]})["number"]
    tenant.ok("post", f"/orders/{n2}/status", {"status": "rejected", "note": "缺货"})
    assert tenant.ok("get", "/stock/TEA-2")[0]["available"] == 5


def test_buyer_cannot_see_other_customers_order(tenant: TenantAPI) -> None:
    setup_catalog(tenant)
    a = tenant.buyer("CA")
    b = tenant.buyer("CB")
    number = a.ok("post", "/orders", {"lines": [{"sku": "TEA-1", "qty": 1}]})["number"]
    assert b.get(f"/orders/{number}").status_code == 404
    assert b.post(f"/orders/{number}/status", json={"status": "cancelled"}).status_code == 404
    assert a.get(f"/orders/{number}").status_code == 200
    assert a.get("/orders/SO-NOPE").status_code == 404


def test_staff_cannot_order_and_buyer_cannot_write_catalog(tenant: TenantAPI) -> None:
    setup_catalog(tenant)
    buyer = tenant.buyer("C1")
    assert tenant.post("/orders", json={"lines": [{"sku": "TEA-1", "qty": 1}]}).status_code == 403
    assert buyer.put("/products/TEA-1", json={"name": "x", "price": "0.01"}).status_code == 403
    assert buyer.get("/stock/TEA-1").status_code == 403


def test_money_read_back_keeps_currency_places(tenant: TenantAPI) -> None:
    """PostgreSQL NUMERIC answers 4 places; the API must still say "12.50"."""
    setup_catalog(tenant)
    tenant.ok("put", "/products/TEA-1", {"name": "乌龙茶 500ml", "price": "12.5"})
    buyer = tenant.buyer("C1")
    number = buyer.ok("post", "/orders", {"lines": [{"sku": "TEA-1", "qty": 3}]})["number"]
    order = tenant.ok("get", f"/orders/{number}")
    assert (order["subtotal"], order["total"], order["lines"][0]["unit_price"]) == ("37.50", "37.50", "12.50")
    assert {i["sku"]: i["price"] for i in buyer.ok("get", "/products")["items"]}["TEA-1"] == "12.50"


def test_customer_addresses_and_groups(tenant: TenantAPI) -> None:
    body = {"name": "C", "addresses": ["上海市浦东新区世纪大道1号", {"contact": "王经理", "phone": "13800000000",
                                                                  "address": "杭州市西湖区文三路2号"}],
            "groups": ["华东"]}
    view = tenant.ok("put", "/customers/ADDR", body)
    assert [a["address"] for a in view["addresses"]] == ["上海市浦东新区世纪大道1号", "杭州市西湖区文三路2号"]
    assert view["groups"] == ["华东"]
    bad = tenant.put("/customers/ADDR", json={"name": "C", "addresses": [{"phone": "1"}]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "addresses[0]"
    assert len(tenant.ok("get", "/customers/ADDR")["addresses"]) == 2


def test_nul_bytes_and_huge_numbers_are_bad_input_not_500(tenant: TenantAPI) -> None:
    setup_catalog(tenant)
    assert tenant.put("/products/NUL1", json={"name": "a\u0000b", "price": "1.00"}).status_code == 422
    assert tenant.get("/products?q=%00tea").status_code == 200
    assert tenant.put("/warehouses/WH1/stock/TEA-1", json={"on_hand": 10**30}).status_code == 422
    assert tenant.put("/products/BIG", json={"name": "x", "price": "1" + "0" * 40}).status_code == 422


def test_erp_sales_order_drafts(tenant: TenantAPI) -> None:
    setup_catalog(tenant)
    buyer = tenant.buyer("C1")
    approved = buyer.ok("post", "/orders", {"lines": [{"sku": "TEA-1", "qty": 2}, {"sku": "TEA-2", "qty": 1}]})
    buyer.ok("post", "/orders", {"lines": [{"sku": "TEA-1", "qty": 1}]})  # stays submitted
    tenant.ok("post", f"/orders/{approved['number']}/status", {"status": "approved"})
    drafts = tenant.ok("get", "/erp/sales-orders")
    assert drafts["total"] == 2
    assert {(r["order_number"], r["sku"], r["qty"], r["line_total"]) for r in drafts["items"]} == {
        (approved["number"], "TEA-1", 2, "20.00"), (approved["number"], "TEA-2", 1, "8.50")}
    csv = tenant.get("/erp/sales-orders?format=csv")
    assert csv.status_code == 200 and approved["number"] in csv.text
    assert tenant.get("/erp/sales-orders?format=xlsx").content[:2] == b"PK"
    assert tenant.get("/erp/sales-orders?status=all").json()["total"] == 3
    assert tenant.get("/erp/sales-orders?format=pdf").status_code == 422
    assert tenant.get("/erp/sales-orders?start=yesterday").status_code == 422
    assert buyer.get("/erp/sales-orders").status_code == 403


def test_category_tree_and_packing_units(tenant: TenantAPI) -> None:
    assert tenant.put("/categories/drinks", json={"name": "饮料"}).status_code == 201
    tenant.ok("put", "/categories/tea", {"name": "茶饮", "parent": "drinks"})
    tenant.ok("put", "/categories/oolong", {"name": "乌龙", "parent": "tea"})
    cycle = tenant.put("/categories/drinks", json={"name": "饮料", "parent": "oolong"})
    assert cycle.status_code == 422 and cycle.json()["errors"][0]["field"] == "parent"
    assert tenant.put("/categories/x", json={"name": "X", "parent": "nope"}).status_code == 422
    tree = {c["code"]: c["parent"] for c in tenant.ok("get", "/categories")}
    assert tree == {"drinks": None, "tea": "drinks", "oolong": "tea"}
    p = tenant.ok("put", "/products/BOX", {"name": "乌龙茶", "price": "3.00", "unit": "瓶", "pack_unit": "箱",
                                           "pack_size": 12, "category": "oolong"})
    assert (p["pack_unit"], p["pack_size"]) == ("箱", 12)
    bad = tenant.put("/products/BOX", json={"pack_unit": "箱"})
    assert bad.status_code == 422
