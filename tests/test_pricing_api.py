"""Pricing through the API: customer price > price policies (by priority, in their window) > tier price >
base price; quantity breaks; the HQ price floor; price history and past answers; bad input."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import TenantAPI


def iso(dt: datetime) -> str:
    return dt.isoformat()


NOW = datetime.now(UTC)
PAST = iso(NOW - timedelta(days=30))
FUTURE = iso(NOW + timedelta(days=30))


def setup_shop(t: TenantAPI) -> None:
    t.ok("put", "/brands/acme", {"name": "Acme"})
    t.ok("put", "/brands/other", {"name": "Other"})
    t.ok("put", "/products/TEA-1", {"name": "乌龙茶", "price": "10.00", "brand": "acme", "category": "tea"})
    t.ok("put", "/products/TEA-2", {"name": "绿茶", "price": "9.99", "brand": "acme", "category": "tea"})
    t.ok("put", "/products/JUICE", {"name": "橙汁", "price": "10.05", "brand": "other", "category": "juice"})
    t.ok("put", "/warehouses/WH1", {"name": "Shanghai"})
    for sku in ("TEA-1", "TEA-2", "JUICE"):
        t.ok("put", f"/warehouses/WH1/stock/{sku}", {"on_hand": 1000})
    t.ok("put", "/tiers/gold", {"name": "Gold"})
    t.ok("put", "/tiers/silver", {"name": "Silver"})


def listed(api: TenantAPI) -> dict[str, tuple[str, str]]:
    return {i["sku"]: (i["price"], i["price_source"]) for i in api.ok("get", "/products")["items"]}


def check(t: TenantAPI, customer: str, sku: str, **params: Any) -> dict[str, Any]:
    resp = t.get("/prices/check", params={"customer": customer, "sku": sku, **params})
    assert resp.status_code == 200, resp.text
    return resp.json()


def policy(t: TenantAPI, code: str, status: int | tuple[int, ...] = (200, 201), **body: Any) -> Any:
    return t.ok("put", f"/price-policies/{code}", {"name": body.pop("name", code), **body}, status=status)


# --- resolution order ------------------------------------------------------------------------------------------


def test_policy_sits_between_customer_and_tier_price(tenant: TenantAPI) -> None:
    setup_shop(tenant)
    tenant.ok("put", "/prices/tier/gold/TEA-1", {"price": "9.00"})
    gold = tenant.buyer("G1", tier="gold")
    special = tenant.buyer("S1", tier="gold")
    plain = tenant.buyer("P1")
    tenant.ok("put", "/prices/customer/S1/TEA-1", {"price": "8.00"})
    assert listed(gold)["TEA-1"] == ("9.00", "tier")

    created = tenant.put("/price-policies/GOLD-TEA", json={"name": "Gold tea", "skus": ["TEA-1"],
                                                           "tiers": ["gold"], "price": "8.50"})
    assert created.status_code == 201, created.text
    assert created.json()["price"] == "8.50" and created.json()["tiers"] == ["gold"]
    assert policy(tenant, "GOLD-TEA", skus=["TEA-1"], tiers=["gold"], price="8.50")["code"] == "GOLD-TEA"

    assert listed(gold)["TEA-1"] == ("8.50", "policy:GOLD-TEA")       # policy beats tier price
    assert listed(special)["TEA-1"] == ("8.00", "customer")           # customer price beats policy
    assert listed(plain)["TEA-1"] == ("10.00", "base")                # not in the policy's buyer scope
    assert listed(gold)["TEA-2"] == ("9.99", "base")                  # not in its product scope
    answer = check(tenant, "G1", "TEA-1")
    assert answer["source"] == "policy:GOLD-TEA" and "GOLD-TEA" in answer["label"] and not answer["floored"]

    # the quote and the order use the same engine
    q = gold.ok("post", "/cart/quote", {"lines": [{"sku": "TEA-1", "qty": 2}]})
    assert q["lines"][0]["unit_price"] == "8.50" and q["lines"][0]["price_source"] == "policy:GOLD-TEA"
    order = gold.post("/orders", json={"lines": [{"sku": "TEA-1", "qty": 2}]}, headers={"Idempotency-Key": "p1"})
    assert order.status_code == 201, order.text
    assert order.json()["total"] == q["total"] == "17.00"

    # switched off, deleted: back to the tier price
    policy(tenant, "GOLD-TEA", skus=["TEA-1"], tiers=["gold"], price="8.50", active=False)
    assert listed(gold)["TEA-1"] == ("9.00", "tier")
    policy(tenant, "GOLD-TEA", skus=["TEA-1"], tiers=["gold"], price="8.50")
    assert tenant.client.delete(tenant.url("/price-policies/GOLD-TEA"), headers=tenant.headers).status_code == 204
    assert tenant.client.delete(tenant.url("/price-policies/GOLD-TEA"), headers=tenant.headers).status_code == 404
    assert listed(gold)["TEA-1"] == ("9.00", "tier")
    assert tenant.ok("get", "/price-policies") == []


def test_priority_and_validity_window(tenant: TenantAPI) -> None:
    setup_shop(tenant)
    buyer = tenant.buyer("C1", tier="gold")
    policy(tenant, "LOW", priority=1, brands=["acme"], price="9.00")
    policy(tenant, "HIGH", priority=10, skus=["TEA-1"], price="9.50")
    prices = listed(buyer)
    assert prices["TEA-1"] == ("9.50", "policy:HIGH")  # higher priority wins even at a higher price
    assert prices["TEA-2"] == ("9.00", "policy:LOW")
    assert [p["code"] for p in tenant.ok("get", "/price-policies")] == ["HIGH", "LOW"]

    policy(tenant, "HIGH", priority=10, skus=["TEA-1"], price="9.50", valid_from=FUTURE)  # not yet
    assert listed(buyer)["TEA-1"] == ("9.00", "policy:LOW")
    policy(tenant, "HIGH", priority=10, skus=["TEA-1"], price="9.50", valid_from=PAST,
           valid_until=iso(NOW - timedelta(days=1)))  # over
    assert listed(buyer)["TEA-1"] == ("9.00", "policy:LOW")
    # a window given in another offset is the same instant in UTC
    start = (datetime.now(UTC) - timedelta(hours=1)).astimezone(timezone(timedelta(hours=8)))
    policy(tenant, "HIGH", priority=10, skus=["TEA-1"], price="9.50", valid_from=start.isoformat(),
           valid_until="2999-01-01T08:00:00+08:00")
    assert listed(buyer)["TEA-1"] == ("9.50", "policy:HIGH")
    got = tenant.ok("get", "/price-policies/HIGH")
    assert got["valid_until"].startswith("2999-01-01T00:00:00")  # stored in UTC


def test_scopes_customer_type_region_category_and_percent(tenant: TenantAPI) -> None:
    setup_shop(tenant)
    hz = tenant.buyer("HZ", type="store", region="浙江/杭州/西湖区")
    hz_city = tenant.buyer("HZC", type="store", region="浙江/杭州")
    hzs = tenant.buyer("HZS", type="store", region="浙江/杭州市")  # not a sub-region of 浙江/杭州
    js = tenant.buyer("JS", type="store", region="江苏/南京")
    dist = tenant.buyer("D1", type="l1_distributor", region="浙江/杭州/西湖区")
    named = tenant.buyer("N1", type="key_account", region="北京")
    policy(tenant, "ZJ-TEA", categories=["tea"], regions=["浙江/杭州"], customer_types=["store"], percent="85")
    policy(tenant, "VIP", customers=["N1"], percent="50", priority=5)

    assert listed(hz)["TEA-1"] == ("8.50", "policy:ZJ-TEA")
    assert listed(hz)["TEA-2"] == ("8.49", "policy:ZJ-TEA")  # 9.99 × 85 % = 8.4915 → 8.49
    assert listed(hz)["JUICE"] == ("10.05", "base")  # other category
    assert listed(hz_city)["TEA-1"] == ("8.50", "policy:ZJ-TEA")
    assert listed(hzs)["TEA-1"] == ("10.00", "base")
    assert listed(js)["TEA-1"] == ("10.00", "base")
    assert listed(dist)["TEA-1"] == ("10.00", "base")  # type must match too
    vip = listed(named)
    assert vip["JUICE"] == ("5.03", "policy:VIP")  # 10.05 × 50 % = 5.025 → 5.03 (half-up); no product scope
    assert vip["TEA-1"] == ("5.00", "policy:VIP")


# --- quantity breaks -------------------------------------------------------------------------------------------


def test_quantity_breaks(tenant: TenantAPI) -> None:
    setup_shop(tenant)
    tenant.ok("put", "/prices/tier/gold/TEA-1", {"price": "9.00"})
    gold = tenant.buyer("G1", tier="gold")
    tenant.buyer("P1")
    resp = tenant.put("/prices/breaks/TEA-1", json={"breaks": [
        {"min_qty": 10, "price": "9.20"}, {"min_qty": 50, "price": "8.80"}, {"min_qty": 20, "price": "8.60",
                                                                             "tier": "gold"}]})
    assert resp.status_code == 201, resp.text
    assert resp.json()["breaks"] == [{"min_qty": 10, "price": "9.20", "tier": None},
                                     {"min_qty": 50, "price": "8.80", "tier": None},
                                     {"min_qty": 20, "price": "8.60", "tier": "gold"}]
    assert tenant.ok("get", "/prices/breaks/TEA-1")["breaks"] == resp.json()["breaks"]

    def at(customer: str, qty: int) -> tuple[str, str]:
        a = check(tenant, customer, "TEA-1", qty=qty)
        return a["price"], a["source"]

    assert at("P1", 9) == ("10.00", "base")
    assert at("P1", 10) == ("9.20", "break")
    assert at("P1", 50) == ("8.80", "break")
    assert at("G1", 10) == ("9.00", "tier")      # the break is not lower than its tier price
    assert at("G1", 20) == ("8.60", "break")     # its tier's own break
    assert at("G1", 60) == ("8.60", "break")     # the lowest reached
    assert listed(gold)["TEA-1"] == ("9.00", "tier")  # listings have no quantity
    assert "Volume price from 20" in check(tenant, "G1", "TEA-1", qty=20)["label"]

    again = tenant.put("/prices/breaks/TEA-1", json={"breaks": [{"min_qty": 10, "price": "9.10"}]})
    assert again.status_code == 200
    assert at("P1", 60) == ("9.10", "break")
    assert tenant.ok("put", "/prices/breaks/TEA-1", {"breaks": []})["breaks"] == []
    assert at("P1", 60) == ("10.00", "base")


def test_breaks_apply_at_quote_and_order(tenant: TenantAPI) -> None:
    setup_shop(tenant)
    buyer = tenant.buyer("P1")
    tenant.ok("put", "/prices/breaks/TEA-1", {"breaks": [{"min_qty": 10, "price": "9.20"}]})
    small = buyer.ok("post", "/cart/quote", {"lines": [{"sku": "TEA-1", "qty": 9}]})
    assert small["lines"][0]["unit_price"] == "10.00"
    body = {"lines": [{"sku": "TEA-1", "qty": 12}]}
    q = buyer.ok("post", "/cart/quote", body)
    assert q["lines"][0]["unit_price"] == "9.20" and q["lines"][0]["price_source"] == "break"
    assert q["total"] == "110.40"
    order = buyer.post("/orders", json=body, headers={"Idempotency-Key": "b1"})
    assert order.status_code == 201, order.text
    assert order.json()["total"] == q["total"]


# --- HQ price floor --------------------------------------------------------------------------------------------


def test_price_floor_refusals_store_nothing(tenant: TenantAPI) -> None:
    setup_shop(tenant)
    tenant.ok("put", "/products/TEA-1", {"name": "乌龙茶", "price": "10.00", "floor_price": "8.00"})
    tenant.buyer("G1", tier="gold")

    def refused(path: str, body: dict[str, Any], field: str) -> None:
        resp = tenant.put(path, json=body)
        assert resp.status_code == 422, resp.text
        errors = resp.json()["errors"]
        assert field in [e["field"] for e in errors], errors
        assert "floor" in " ".join(e["message"] for e in errors)

    refused("/price-policies/CHEAP", {"name": "x", "skus": ["TEA-1"], "price": "7.99"}, "price")
    refused("/price-policies/CHEAP", {"name": "x", "brands": ["acme"], "percent": "79"}, "percent")
    refused("/price-policies/CHEAP", {"name": "x", "categories": ["tea"], "price": "7.00"}, "price")
    refused("/price-policies/CHEAP", {"name": "x", "price": "7.00"}, "price")  # every product
    refused("/prices/breaks/TEA-1", {"breaks": [{"min_qty": 10, "price": "9.00"},
                                                {"min_qty": 20, "price": "7.50"}]}, "breaks[1].price")
    refused("/prices/tier/gold/TEA-1", {"price": "7.00"}, "price")
    refused("/prices/customer/G1/TEA-1", {"price": "7.00"}, "price")
    assert tenant.ok("get", "/price-policies") == []
    assert tenant.ok("get", "/prices/breaks/TEA-1")["breaks"] == []
    assert [c["scope"] for c in tenant.ok("get", "/prices/history/TEA-1")] == ["base", "floor"]
    # at the floor is fine
    policy(tenant, "AT-FLOOR", skus=["TEA-1"], price="8.00")


def test_data_below_a_raised_floor_resolves_to_the_floor(tenant: TenantAPI) -> None:
    setup_shop(tenant)
    tenant.ok("put", "/prices/tier/gold/TEA-1", {"price": "8.50"})
    tenant.ok("put", "/prices/tier/gold/TEA-2", {"price": "9.50"})
    gold = tenant.buyer("G1", tier="gold")
    policy(tenant, "HALF", skus=["TEA-2"], tiers=["gold"], percent="50")
    tenant.ok("put", "/products/TEA-1", {"name": "乌龙茶", "floor_price": "9.00"})
    tenant.ok("put", "/products/TEA-2", {"name": "绿茶", "floor_price": "6.00"})
    prices = listed(gold)
    assert prices["TEA-1"] == ("9.00", "tier") and prices["TEA-2"] == ("6.00", "policy:HALF")
    answer = check(tenant, "G1", "TEA-1")
    assert answer["floored"] is True and "floor" in answer["label"] and "8.50" in answer["label"]
    q = gold.ok("post", "/cart/quote", {"lines": [{"sku": "TEA-1", "qty": 1}, {"sku": "TEA-2", "qty": 1}]})
    assert [line["unit_price"] for line in q["lines"]] == ["9.00", "6.00"]


# --- history ---------------------------------------------------------------------------------------------------


def test_history_and_past_answers(tenant: TenantAPI) -> None:
    setup_shop(tenant)
    tenant.buyer("G1", tier="gold")
    t0 = datetime.now(UTC)
    time.sleep(0.02)
    tenant.ok("put", "/prices/tier/gold/TEA-1", {"price": "9.00"})
    time.sleep(0.02)
    t1 = datetime.now(UTC)
    time.sleep(0.02)
    policy(tenant, "P", skus=["TEA-1"], tiers=["gold"], price="8.70")
    time.sleep(0.02)
    t2 = datetime.now(UTC)
    time.sleep(0.02)
    tenant.ok("put", "/prices/customer/G1/TEA-1", {"price": "8.40"})
    tenant.ok("put", "/prices/breaks/TEA-1", {"breaks": [{"min_qty": 10, "price": "8.30"}]})
    time.sleep(0.02)
    t3 = datetime.now(UTC)
    time.sleep(0.02)
    tenant.ok("put", "/products/TEA-1", {"name": "乌龙茶", "price": "11.00"})
    assert tenant.client.delete(tenant.url("/price-policies/P"), headers=tenant.headers).status_code == 204
    tenant.ok("put", "/prices/customer/G1/TEA-1", {"price": "10.50"})
    t4 = datetime.now(UTC)

    history = tenant.ok("get", "/prices/history/TEA-1")
    assert [(h["scope"], h["new_price"]) for h in history] == [
        ("base", "10.00"), ("tier", "9.00"), ("policy", "8.70"), ("customer", "8.40"), ("break", "8.30"),
        ("base", "11.00"), ("policy", None), ("customer", "10.50")]
    assert history[0]["changed_by"] == f"owner@{tenant.slug}.test"
    assert history[2]["key"] == "P" and history[2]["policy"]["skus"] == ["TEA-1"]
    assert [h["scope"] for h in tenant.ok("get", "/prices/history/JUICE")] == ["base"]  # P never covered it

    def then(at: datetime, **kw: Any) -> tuple[str | None, str | None]:
        a = check(tenant, "G1", "TEA-1", at=iso(at), **kw)
        return a["price"], a["source"]

    before = datetime(2000, 1, 1, tzinfo=UTC)
    assert then(before) == (None, None)
    assert then(t0) == ("10.00", "base")
    assert then(t1) == ("9.00", "tier")
    assert then(t2) == ("8.70", "policy:P")
    assert then(t3) == ("8.40", "customer")
    assert then(t3, qty=10) == ("8.30", "break")
    assert then(t4) == ("10.50", "customer")
    assert then(t4, qty=10) == ("8.30", "break")
    assert check(tenant, "G1", "TEA-1", at="2020-01-01T08:00:00+08:00")["price"] is None
    for bad in ("yesterday", "2024-01-01T00:00:00"):
        resp = tenant.get("/prices/check", params={"customer": "G1", "sku": "TEA-1", "at": bad})
        assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "at"
    resp = tenant.get("/prices/check", params={"customer": "G1", "sku": "TEA-1", "qty": "0"})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "qty"
    assert tenant.get("/prices/check", params={"customer": "NOPE", "sku": "TEA-1"}).status_code == 404


def test_price_on_function(tenant: TenantAPI, test_settings: Any) -> None:
    """``price_on(session, customer, sku, at)`` directly, as the admin checker uses it."""
    setup_shop(tenant)
    tenant.buyer("G1", tier="gold")
    tenant.ok("put", "/prices/tier/gold/TEA-1", {"price": "9.00"})
    mid = datetime.now(UTC)
    time.sleep(0.02)
    tenant.ok("put", "/prices/tier/gold/TEA-1", {"price": "9.30"})

    from sqlalchemy import select

    from qudao.core.asyncutil import run_sync
    from qudao.core.customers.models import Customer
    from qudao.core.db.session import Database, bind_tenant
    from qudao.core.pricing.history import price_on
    from qudao.tenants.models import Tenant

    async def run() -> tuple[Any, Any]:
        db = Database(test_settings.database_url)
        try:
            async with db.session() as session:
                t = await session.scalar(select(Tenant).where(Tenant.slug == tenant.slug))
                await bind_tenant(session, t.id)
                customer = await session.scalar(select(Customer).where(Customer.code == "G1"))
                return (await price_on(session, customer, "TEA-1", mid),
                        await price_on(session, customer, "TEA-1", datetime.now(UTC)))
        finally:
            await db.dispose()

    past, now = run_sync(run())
    assert (past.price, past.source) == (Decimal("9.00"), "tier")
    assert (now.price, now.source) == (Decimal("9.30"), "tier")


# --- bad input -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body,field", [
    ({"skus": ["TEA-1"], "price": "9"}, "name"),
    ({"name": "x", "skus": ["TEA-1"]}, "price"),
    ({"name": "x", "skus": ["TEA-1"], "price": "9", "percent": "90"}, "price"),
    ({"name": "x", "price": "-1"}, "price"),
    ({"name": "x", "price": "abc"}, "price"),
    ({"name": "x", "price": "9.001"}, "price"),
    ({"name": "x", "percent": "0"}, "percent"),
    ({"name": "x", "percent": "abc"}, "percent"),
    ({"name": "x", "percent": "85.123"}, "percent"),
    ({"name": "x", "percent": "5000"}, "percent"),
    ({"name": "x", "price": "9", "priority": "high"}, "priority"),
    ({"name": "x", "price": "9", "valid_from": "2025-01-01T00:00:00"}, "valid_from"),
    ({"name": "x", "price": "9", "valid_from": "soon"}, "valid_from"),
    ({"name": "x", "price": "9", "valid_until": 20250101}, "valid_until"),
    ({"name": "x", "price": "9", "valid_from": "2025-02-01T00:00:00Z", "valid_until": "2025-01-01T00:00:00Z"},
     "valid_until"),
    ({"name": "x", "price": "9", "skus": ["TEA-1", "NOPE"]}, "skus[1]"),
    ({"name": "x", "price": "9", "skus": "TEA-1"}, "skus"),
    ({"name": "x", "price": "9", "skus": [1]}, "skus[0]"),
    ({"name": "x", "price": "9", "categories": ["nope"]}, "categories[0]"),
    ({"name": "x", "price": "9", "brands": ["nope"]}, "brands[0]"),
    ({"name": "x", "price": "9", "customers": ["NOPE"]}, "customers[0]"),
    ({"name": "x", "price": "9", "tiers": ["nope"]}, "tiers[0]"),
    ({"name": "x", "price": "9", "customer_types": ["shop"]}, "customer_types[0]"),
    ({"name": "x", "price": "9", "regions": [""]}, "regions[0]"),
    ({"name": "x", "price": "9", "regions": ["华东\x00"]}, "regions[0]"),
    ({"name": "x", "price": "9", "active": "yes"}, "active"),
    ({"name": "x", "price": "9", "colour": "red"}, "colour"),
])
def test_bad_policy_is_422_naming_the_field_and_stores_nothing(tenant: TenantAPI, body: dict[str, Any],
                                                               field: str) -> None:
    setup_shop(tenant)
    resp = tenant.put("/price-policies/BAD", json=body)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in resp.json()["errors"]], resp.json()
    assert tenant.get("/price-policies/BAD").status_code == 404
    assert tenant.ok("get", "/price-policies") == []


def test_bad_policy_code_and_body(tenant: TenantAPI) -> None:
    assert tenant.put("/price-policies/bad code!", json={"name": "x", "price": "1"}).status_code == 422
    resp = tenant.client.put(tenant.url("/price-policies/P"), content=b"[1", headers=tenant.headers)
    assert resp.status_code == 422


@pytest.mark.parametrize("body,field", [
    ({}, "breaks"),
    ({"breaks": "10:9.00"}, "breaks"),
    ({"breaks": [5]}, "breaks[0]"),
    ({"breaks": [{"min_qty": 1, "price": "9"}]}, "breaks[0].min_qty"),
    ({"breaks": [{"min_qty": "ten", "price": "9"}]}, "breaks[0].min_qty"),
    ({"breaks": [{"min_qty": 10}]}, "breaks[0].price"),
    ({"breaks": [{"min_qty": 10, "price": "-9"}]}, "breaks[0].price"),
    ({"breaks": [{"min_qty": 10, "price": "9", "tier": "nope"}]}, "breaks[0].tier"),
    ({"breaks": [{"min_qty": 10, "price": "9"}, {"min_qty": 10, "price": "8"}]}, "breaks[1].min_qty"),
    ({"breaks": [{"min_qty": 10, "price": "9", "extra": 1}]}, "breaks[0].extra"),
])
def test_bad_breaks_are_422_and_keep_the_old_list(tenant: TenantAPI, body: dict[str, Any], field: str) -> None:
    setup_shop(tenant)
    tenant.ok("put", "/prices/breaks/TEA-1", {"breaks": [{"min_qty": 5, "price": "9.50"}]})
    resp = tenant.put("/prices/breaks/TEA-1", json=body)
    assert resp.status_code == 422, resp.text
    assert field in [e["field"] for e in resp.json()["errors"]], resp.json()
    assert tenant.ok("get", "/prices/breaks/TEA-1")["breaks"] == [{"min_qty": 5, "price": "9.50", "tier": None}]
    assert tenant.put("/prices/breaks/NOPE", json={"breaks": []}).status_code == 404


def test_staff_only_and_tenant_isolation(tenant: TenantAPI, other_tenant: TenantAPI) -> None:
    setup_shop(tenant)
    policy(tenant, "P", skus=["TEA-1"], price="9.00")
    buyer = tenant.buyer("C1")
    assert buyer.get("/price-policies").status_code == 403
    assert buyer.put("/price-policies/X", json={"name": "x", "price": "1"}).status_code == 403
    assert buyer.get("/prices/history/TEA-1").status_code == 403
    assert other_tenant.get("/price-policies/P").status_code == 404
    assert other_tenant.get("/prices/history/TEA-1").status_code == 404
    assert other_tenant.client.delete(other_tenant.url("/price-policies/P"),
                                      headers=other_tenant.headers).status_code == 404
    assert other_tenant.ok("get", "/price-policies") == []
    assert tenant.client.get(other_tenant.url("/price-policies/P"), headers=tenant.headers).status_code == 404
    assert tenant.ok("get", "/price-policies/P")["price"] == "9.00"


def test_past_answers_use_the_tier_and_region_the_customer_had_then(tenant: TenantAPI) -> None:
    setup_shop(tenant)
    tenant.ok("put", "/prices/tier/gold/TEA-1", {"price": "9.00"})
    tenant.ok("put", "/prices/tier/silver/TEA-1", {"price": "9.60"})
    policy(tenant, "ZJ", regions=["浙江"], skus=["TEA-2"], price="9.10")
    tenant.buyer("C1", tier="gold", region="浙江/宁波")
    time.sleep(0.02)
    as_gold = datetime.now(UTC)
    time.sleep(0.02)
    tenant.ok("put", "/customers/C1", {"name": "C1", "tier": "silver", "region": "江苏/南京"})
    time.sleep(0.02)
    assert check(tenant, "C1", "TEA-1")["source"] == "tier" and check(tenant, "C1", "TEA-1")["price"] == "9.60"
    assert check(tenant, "C1", "TEA-1", at=iso(as_gold))["price"] == "9.00"
    assert check(tenant, "C1", "TEA-2", at=iso(as_gold))["source"] == "policy:ZJ"
    assert check(tenant, "C1", "TEA-2")["source"] == "base"
