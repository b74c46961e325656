"""Multi-level channels: brand → distributor → store, stock flowing between levels, isolation."""

from __future__ import annotations

from tests.channels_support import build_channel, deliver, stock_dist
from tests.conftest import TenantAPI


def _stock(api: TenantAPI, sku: str) -> dict:
    return next(r for r in api.ok("get", "/reseller/stock") if r["sku"] == sku)


def test_received_brand_order_enters_distributor_stock(tenant: TenantAPI) -> None:
    ch = build_channel(tenant)
    assert ch.dist.ok("get", "/reseller/stock") == []
    quote = ch.dist.ok("post", "/cart/quote", {"lines": [{"sku": "TEA", "qty": 20}]}, status=200)
    assert quote["seller"]["kind"] == "brand"  # a distributor with no reselling parent buys from the brand
    number = stock_dist(ch, 20)
    row = _stock(ch.dist, "TEA")
    assert (row["on_hand"], row["reserved"], row["available"]) == (20, 0, 20)
    # the brand's stock went down once and the distributor's warehouse is not the brand's
    assert tenant.ok("get", "/stock/TEA") == [{"warehouse": "HQ", "on_hand": 80, "reserved": 0, "in_transit": 0,
                                               "available": 80}]
    assert [w["code"] for w in tenant.ok("get", "/warehouses")] == ["HQ"]
    # receiving is the status change: it cannot happen twice
    assert ch.dist.post(f"/orders/{number}/status", json={"status": "received"}).status_code == 409
    assert _stock(ch.dist, "TEA")["on_hand"] == 20


def test_store_orders_from_distributor_at_its_price_and_it_ships(tenant: TenantAPI) -> None:
    ch = build_channel(tenant)
    stock_dist(ch, 20)
    assert ch.dist.ok("put", "/reseller/prices/TEA", {"price": "12.50"}, status=201)["price"] == "12.50"
    assert ch.dist.ok("put", "/reseller/prices/TEA", {"price": "12.00"}, status=200)["price"] == "12.00"
    quote = ch.store.ok("post", "/cart/quote", {"lines": [{"sku": "TEA", "qty": 5}]}, status=200)
    assert quote["seller"] == {"kind": "parent", "code": "DIST", "name": "DIST"}
    assert (quote["lines"][0]["unit_price"], quote["lines"][0]["price_source"]) == ("12.00", "reseller")
    assert quote["total"] == "60.00"
    # a price for this store beats the one for all stores
    ch.dist.ok("put", "/reseller/prices/TEA", {"price": "11.00", "customer": "STORE1"}, status=201)
    order = ch.store.ok("post", "/orders", {"lines": [{"sku": "TEA", "qty": 5}]}, status=201)
    assert order["lines"][0]["unit_price"] == "11.00" and order["total"] == "55.00"
    number = order["number"]
    assert _stock(ch.dist, "TEA")["reserved"] == 5
    listed = ch.dist.ok("get", "/reseller/orders")["items"]
    assert [(o["number"], o["customer"], o["status"]) for o in listed] == [(number, "STORE1", "submitted")]
    # the brand's staff do not run a distributor's orders
    assert tenant.get(f"/orders/{number}").status_code == 404
    assert tenant.post(f"/orders/{number}/status", json={"status": "approved"}).status_code == 404
    assert number not in [o["number"] for o in tenant.ok("get", "/orders")["items"]]
    deliver(ch.dist, number, "/reseller/orders")
    row = _stock(ch.dist, "TEA")
    assert (row["on_hand"], row["reserved"]) == (15, 0)
    assert ch.store.ok("post", f"/orders/{number}/status", {"status": "received"}, status=200)["status"] == "received"
    assert _stock(ch.dist, "TEA")["on_hand"] == 15  # a store receiving changes no stock
    assert tenant.ok("get", "/stock/TEA")[0]["on_hand"] == 80
    # the store sees its order as any order of its own
    assert ch.store.ok("get", f"/orders/{number}")["status"] == "received"


def test_price_below_floor_is_refused_and_counted(tenant: TenantAPI) -> None:
    ch = build_channel(tenant)
    resp = ch.dist.put("/reseller/prices/TEA", json={"price": "7.99"})
    assert resp.status_code == 422, resp.text
    assert [v["code"] for v in resp.json()["violations"]] == ["below_floor"]
    assert ch.dist.ok("get", "/reseller/prices") == []
    assert ch.dist.put("/reseller/prices/TEA", json={"price": "8.00"}).status_code == 201


def test_seller_choice_and_settings(tenant: TenantAPI) -> None:
    ch = build_channel(tenant)
    stock_dist(ch, 10)
    resp = ch.store.post("/cart/quote", json={"lines": [{"sku": "TEA", "qty": 1}], "seller": "brand"})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "seller"
    assert ch.store.post("/cart/quote", json={"lines": [{"sku": "TEA", "qty": 1}],
                                              "seller": "nobody"}).status_code == 422
    assert ch.dist.post("/cart/quote", json={"lines": [{"sku": "TEA", "qty": 1}],
                                             "seller": "parent"}).status_code == 422
    tenant.ok("put", "/customers/STORE1", {"direct_from_brand": True})
    quote = ch.store.ok("post", "/cart/quote", {"lines": [{"sku": "TEA", "qty": 1}], "seller": "brand"}, status=200)
    assert quote["seller"]["kind"] == "brand" and quote["lines"][0]["unit_price"] == "10.00"
    tenant.ok("put", "/settings/channels", {"default_seller": "brand"}, status=200)
    quote = ch.store2.ok("post", "/cart/quote", {"lines": [{"sku": "TEA", "qty": 1}]}, status=200)
    assert quote["seller"]["kind"] == "brand"
    assert ch.store2.ok("post", "/cart/quote", {"lines": [{"sku": "TEA", "qty": 1}], "seller": "parent"},
                        status=200)["seller"]["code"] == "DIST2"
    assert ch.dist.put("/settings/channels", json={"default_seller": "brand"}).status_code == 403
    assert tenant.put("/settings/channels", json={"default_seller": "x"}).status_code == 422


def test_store_without_distributor_stock_is_refused(tenant: TenantAPI) -> None:
    ch = build_channel(tenant)
    resp = ch.store.post("/orders", json={"lines": [{"sku": "TEA", "qty": 1}]})
    assert resp.status_code == 422
    assert [v["code"] for v in resp.json()["violations"]] == ["insufficient_stock"]
    assert tenant.ok("get", "/stock/TEA")[0]["reserved"] == 0


def test_distributor_creates_its_stores(tenant: TenantAPI) -> None:
    ch = build_channel(tenant)
    resp = ch.dist.post("/reseller/customers", json={"code": "NEW1", "name": "New store", "region": "浙江/宁波",
                                                     "email": "new1@store.test", "password": "correct-horse-battery"})
    assert resp.status_code == 201, resp.text
    assert [s["code"] for s in ch.dist.ok("get", "/reseller/customers")] == ["NEW1", "STORE1"]
    assert tenant.ok("get", "/customers/NEW1")["parent"] == "DIST"
    new = ch.dist.as_user("new1@store.test")
    assert new.ok("post", "/cart/quote", {"lines": [{"sku": "TEA", "qty": 1}]}, status=200)["seller"]["code"] == "DIST"
    assert ch.dist.post("/reseller/customers", json={"code": "NEW1", "name": "Renamed"}).status_code == 200
    # a code outside its tree is not its to change
    assert ch.dist.post("/reseller/customers", json={"code": "STORE2", "name": "Mine now"}).status_code == 409
    assert tenant.ok("get", "/customers/STORE2")["parent"] == "DIST2"
    assert ch.dist.post("/reseller/customers", json={"code": "bad code!", "name": "x"}).status_code == 422
    # a plain store or staff is not a distributor
    assert ch.store.get("/reseller/customers").status_code == 404
    assert tenant.get("/reseller/orders").status_code == 404


def test_another_distributor_sees_none_of_it(tenant: TenantAPI) -> None:
    ch = build_channel(tenant)
    stock_dist(ch, 20)
    ch.dist.ok("put", "/reseller/prices/TEA", {"price": "12.00"})
    number = ch.store.ok("post", "/orders", {"lines": [{"sku": "TEA", "qty": 2}]})["number"]
    before = ch.dist.ok("get", f"/reseller/orders/{number}")
    other = ch.dist2
    assert other.ok("get", "/reseller/orders")["items"] == []
    assert other.ok("get", "/reseller/stock") == []
    assert other.ok("get", "/reseller/prices") == []
    assert [s["code"] for s in other.ok("get", "/reseller/customers")] == ["STORE2"]
    assert other.get(f"/reseller/orders/{number}").status_code == 404
    assert other.post(f"/reseller/orders/{number}/status", json={"status": "approved"}).status_code == 404
    assert other.put("/reseller/prices/TEA", json={"price": "9.00", "customer": "STORE1"}).status_code == 404
    # the store outside DIST's tree still buys at the brand's suggested price from its own distributor
    q = ch.store2.ok("post", "/cart/quote", {"lines": [{"sku": "TEA", "qty": 1}]}, status=200)
    assert q["seller"]["code"] == "DIST2" and q["lines"][0]["unit_price"] == "10.00"
    assert ch.store2.get(f"/orders/{number}").status_code == 404
    assert ch.dist.ok("get", f"/reseller/orders/{number}") == before


def test_sell_through_shows_the_unit_at_the_right_store_and_region(tenant: TenantAPI) -> None:
    import io

    from openpyxl import load_workbook

    ch = build_channel(tenant)
    stock_dist(ch, 20)
    stock_dist(ch, 5, sku="RICE")
    ch.dist.ok("put", "/reseller/prices/TEA", {"price": "12.00"})
    tenant.buyer("FAR", parent="DIST", region="广东/深圳")  # out of DIST's region (串货)
    far = tenant.buyer("FAR")
    n1 = ch.store.ok("post", "/orders", {"lines": [{"sku": "TEA", "qty": 3}]})["number"]
    n2 = far.ok("post", "/orders", {"lines": [{"sku": "TEA", "qty": 2}]})["number"]
    n3 = ch.store.ok("post", "/orders", {"lines": [{"sku": "TEA", "qty": 4}]})["number"]  # not shipped: no flow
    deliver(ch.dist, n1, "/reseller/orders")
    deliver(ch.dist, n2, "/reseller/orders")
    assert ch.dist.put("/reseller/prices/TEA", json={"price": "1.00"}).status_code == 422
    data = tenant.ok("get", "/sell-through?group_by=product,distributor,store,region")
    rows = {(r["sku"], r["distributor"], r["store"], r["region"]): (r["qty"], r["amount"], r["out_of_region_qty"])
            for r in data["rows"]}
    assert rows == {("TEA", "DIST", "STORE1", "浙江/杭州"): (3, "36.00", 0),
                    ("TEA", "DIST", "FAR", "广东/深圳"): (2, "24.00", 2)}
    assert data["total"] == {"qty": 5, "amount": "60.00", "out_of_region_qty": 2}
    dist = {d["distributor"]: d for d in data["distributors"]}
    assert dist["DIST"]["stock_units"] == 20 - 5 + 5  # TEA 15 + RICE 5
    assert dist["DIST"]["sold_recent"] == 5 and dist["DIST"]["days_of_stock"] == 120.0  # 20 ÷ (5/30)
    assert dist["DIST"]["floor_attempts"] == 1 and dist["DIST"]["out_of_region_qty"] == 2
    assert dist["DIST"]["slow_moving"] == ["RICE"]  # on hand, never sold
    assert dist["DIST2"]["stock_units"] == 0 and dist["DIST2"]["days_of_stock"] is None
    by_region = tenant.ok("get", "/sell-through?group_by=region")["rows"]
    assert sorted((r["region"], r["qty"]) for r in by_region) == [("广东/深圳", 2), ("浙江/杭州", 3)]
    # the period is the shipment day; a period before it is empty
    assert tenant.ok("get", "/sell-through?from=2020-01-01&to=2020-01-31")["rows"] == []
    resp = tenant.get("/sell-through?group_by=product&format=xlsx")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/vnd.openxml")
    wb = load_workbook(io.BytesIO(resp.content))
    assert [c.value for c in wb["sell-through"][1]] == ["sku", "name", "qty", "amount", "out_of_region_qty"]
    assert [c.value for c in wb["sell-through"][2]] == ["TEA", "Green tea", 5, "60.00", 2]
    assert wb["distributors"]["A2"].value == "DIST"
    for bad in ("group_by=nope", "from=2026-13-01", "from=2026-02-01&to=2026-01-01", "format=pdf"):
        assert tenant.get(f"/sell-through?{bad}").status_code == 422, bad
    assert ch.dist.get("/sell-through").status_code == 403  # the brand's report, not a distributor's
    assert n3


def test_store_catalog_shows_its_distributors_price_and_stock(tenant: TenantAPI) -> None:
    ch = build_channel(tenant)
    stock_dist(ch, 7)
    ch.dist.ok("put", "/reseller/prices/TEA", {"price": "13.00"})
    items = {i["sku"]: i for i in ch.store.ok("get", "/products")["items"]}
    assert (items["TEA"]["price"], items["TEA"]["available"]) == ("13.00", 7)
    assert items["RICE"]["available"] == 0  # the distributor holds none
    # the distributor itself still sees the brand's price and the brand's stock
    mine = {i["sku"]: i for i in ch.dist.ok("get", "/products")["items"]}
    assert (mine["TEA"]["price"], mine["TEA"]["available"]) == ("10.00", 93)


def test_brand_credit_and_promotions_stay_with_the_brands_own_sales(tenant: TenantAPI) -> None:
    ch = build_channel(tenant)
    stock_dist(ch, 10)
    for plugin in ("credit", "promotions"):
        tenant.ok("put", f"/plugins/{plugin}", {"enabled": True}, status=200)
    tenant.ok("put", "/credit/STORE1", {"limit": "1.00"})
    tenant.ok("put", "/promotions/OFF5", {"kind": "threshold_amount_off", "threshold": "10.00", "amount": "5.00"})
    # the store buys from its distributor: no brand discount, no brand credit used
    quote = ch.store.ok("post", "/cart/quote", {"lines": [{"sku": "TEA", "qty": 2}]}, status=200)
    assert quote["adjustments"] == [] and quote["violations"] == [] and quote["total"] == "20.00"
    order = ch.store.ok("post", "/orders", {"lines": [{"sku": "TEA", "qty": 2}]}, status=201)
    assert order["total"] == "20.00"
    assert tenant.ok("get", "/credit/STORE1")["used"] == "0.00"
    # the distributor buying from the brand gets the brand's promotion as before
    mine = ch.dist.ok("post", "/cart/quote", {"lines": [{"sku": "TEA", "qty": 2}]}, status=200)
    assert mine["discount"] == "5.00"
