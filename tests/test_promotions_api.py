"""Contract: promotions through the API (PUT /promotions, POST /cart/quote, POST /orders)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import TenantAPI, signup

PRODUCTS = {"A": "10.00", "B": "8.00", "C": "25.50", "GIFT": "3.00", "CUP": "1.00"}


def make_shop(t: TenantAPI) -> None:
    t.ok("put", "/plugins/promotions", {"enabled": True})
    t.ok("put", "/warehouses/WH", {"name": "WH"})
    for sku, price in PRODUCTS.items():
        t.ok("put", f"/products/{sku}", {"name": f"Product {sku}", "price": price})
        t.ok("put", f"/warehouses/WH/stock/{sku}", {"on_hand": 100000})
    t.ok("put", "/tiers/gold", {"name": "Gold"})


def promo(t: TenantAPI, code: str, **body: Any) -> dict[str, Any]:
    return t.ok("put", f"/promotions/{code}", body)


def quote(buyer: TenantAPI, *lines: tuple[str, int], coupon: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"lines": [{"sku": s, "qty": q} for s, q in lines]}
    if coupon is not None:
        body["coupon"] = coupon
    return buyer.ok("post", "/cart/quote", body)


def order(buyer: TenantAPI, *lines: tuple[str, int], coupon: str | None = None) -> Any:
    body: dict[str, Any] = {"lines": [{"sku": s, "qty": q} for s, q in lines]}
    if coupon is not None:
        body["coupon"] = coupon
    return buyer.post("/orders", json=body)


def adjustments(q: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["source"], a["amount"]) for a in q["adjustments"]]


def gifts(q: dict[str, Any]) -> list[tuple[str, int, str]]:
    """Gift lines as (sku, qty, line_total); their unit price is zero."""
    out = []
    for li in q["lines"]:
        if li["gift"]:
            assert Decimal(li["unit_price"]) == 0
            out.append((li["sku"], li["qty"], li["line_total"]))
    return sorted(out)


def totals(q: dict[str, Any]) -> tuple[str, str, str]:
    return q["subtotal"], q["discount"], q["total"]


# --- switching the plugin --------------------------------------------------------


def test_promotion_endpoints_answer_404_while_the_plugin_is_off(tenant: TenantAPI) -> None:
    body = {"kind": "threshold_amount_off", "threshold": "100", "amount": "20"}
    assert tenant.put("/promotions/X", json=body).status_code == 404
    assert tenant.get("/promotions").status_code == 404
    assert tenant.get("/promotions/X").status_code == 404
    make_shop(tenant)
    assert tenant.put("/promotions/X", json=body).status_code == 201
    assert tenant.put("/promotions/X", json=body).status_code == 200
    assert [p["code"] for p in tenant.ok("get", "/promotions")] == ["X"]
    buyer = tenant.buyer("C1")
    assert totals(quote(buyer, ("A", 10))) == ("100.00", "20.00", "80.00")
    # off again: no routes, no discounts, no restart
    tenant.ok("put", "/plugins/promotions", {"enabled": False})
    assert tenant.get("/promotions/X").status_code == 404
    assert totals(quote(buyer, ("A", 10))) == ("100.00", "0.00", "100.00")
    tenant.ok("put", "/plugins/promotions", {"enabled": True})
    assert totals(quote(buyer, ("A", 10))) == ("100.00", "20.00", "80.00")


def test_only_staff_manage_promotions(tenant: TenantAPI) -> None:
    make_shop(tenant)
    buyer = tenant.buyer("C1")
    body = {"kind": "threshold_amount_off", "threshold": "100", "amount": "20"}
    assert buyer.put("/promotions/X", json=body).status_code == 403
    assert buyer.get("/promotions").status_code == 403
    anonymous = TenantAPI(tenant.client, tenant.slug, "")
    assert tenant.client.get(anonymous.url("/promotions")).status_code == 401


def test_another_tenants_promotions_are_invisible(tenant: TenantAPI, other_tenant: TenantAPI) -> None:
    make_shop(tenant)
    make_shop(other_tenant)
    promo(tenant, "X", kind="threshold_amount_off", threshold="10", amount="5")
    assert other_tenant.get("/promotions/X").status_code == 404
    assert other_tenant.ok("get", "/promotions") == []
    assert totals(quote(other_tenant.buyer("C1"), ("A", 2))) == ("20.00", "0.00", "20.00")
    # the same code in the other tenant is a different promotion
    assert other_tenant.put("/promotions/X", json={"kind": "threshold_amount_off", "threshold": "10",
                                                   "amount": "1"}).status_code == 201
    assert tenant.ok("get", "/promotions/X")["amount"] == "5.00"


# --- each kind, to the cent --------------------------------------------------------


def test_threshold_amount_off(tenant: TenantAPI) -> None:
    make_shop(tenant)
    body = promo(tenant, "M100", kind="threshold_amount_off", threshold="100", amount="20")
    assert body["kind"] == "threshold_amount_off" and body["threshold"] == "100.00" and body["amount"] == "20.00"
    buyer = tenant.buyer("C1")
    below = quote(buyer, ("A", 9), ("CUP", 9))  # 99.00
    assert totals(below) == ("99.00", "0.00", "99.00") and below["adjustments"] == []
    at = quote(buyer, ("A", 10))
    assert totals(at) == ("100.00", "20.00", "80.00")
    assert at["adjustments"][0]["source"] == "promotions:M100" and at["adjustments"][0]["amount"] == "-20.00"
    assert at["adjustments"][0]["label"] == "满100.00减20.00"


def test_threshold_amount_off_repeat(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "EVERY100", kind="threshold_amount_off", threshold="100", amount="15", repeat=True)
    buyer = tenant.buyer("C1")
    assert totals(quote(buyer, ("A", 19), ("CUP", 9))) == ("199.00", "15.00", "184.00")
    assert totals(quote(buyer, ("C", 14))) == ("357.00", "45.00", "312.00")


def test_threshold_percent_off_rounds_half_up(tenant: TenantAPI) -> None:
    make_shop(tenant)
    tenant.ok("put", "/products/P6025", {"name": "P", "price": "60.25"})
    tenant.ok("put", "/warehouses/WH/stock/P6025", {"on_hand": 100})
    promo(tenant, "TEN", kind="threshold_percent_off", threshold="50", percent="10")
    buyer = tenant.buyer("C1")
    q = quote(buyer, ("P6025", 1))
    assert totals(q) == ("60.25", "6.03", "54.22")  # 6.025 rounds half-up
    assert adjustments(q) == [("promotions:TEN", "-6.03")]
    assert totals(quote(buyer, ("A", 4))) == ("40.00", "0.00", "40.00")


def test_threshold_gift_adds_zero_priced_gift_lines(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "GIFT100", kind="threshold_gift", threshold="100", gift_sku="GIFT", gift_qty=2)
    buyer = tenant.buyer("C1")
    assert gifts(quote(buyer, ("A", 9))) == []
    q = quote(buyer, ("A", 10))
    assert totals(q) == ("100.00", "0.00", "100.00")
    assert gifts(q) == [("GIFT", 2, "0.00")]
    line = next(li for li in q["lines"] if li["gift"])
    assert line["price_source"] == "promotions:GIFT100"


def test_gift_lines_show_0_00(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "G", kind="threshold_gift", threshold="0", gift_sku="GIFT")
    line = next(li for li in quote(tenant.buyer("C1"), ("A", 1))["lines"] if li["gift"])
    assert (line["unit_price"], line["line_total"]) == ("0.00", "0.00")


def test_special_price(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "SP", kind="special_price", sku="A", price="7.90")
    buyer = tenant.buyer("C1")
    q = quote(buyer, ("A", 3), ("B", 1))
    lines = {li["sku"]: li for li in q["lines"]}
    assert (lines["A"]["unit_price"], lines["A"]["line_total"], lines["A"]["price_source"]) == \
        ("7.90", "23.70", "promotions:SP")
    assert lines["B"]["unit_price"] == "8.00"
    assert totals(q) == ("31.70", "0.00", "31.70")


def test_special_price_never_raises_a_better_price(tenant: TenantAPI) -> None:
    make_shop(tenant)
    tenant.ok("put", "/prices/tier/gold/A", {"price": "7.00"})
    promo(tenant, "SP", kind="special_price", sku="A", price="7.90")
    gold = tenant.buyer("G1", tier="gold")
    line = quote(gold, ("A", 1))["lines"][0]
    assert line["unit_price"] == "7.00" and line["price_source"] != "promotions:SP"


def test_buy_x_get_y(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "B10G1", kind="buy_x_get_y", sku="A", buy_qty=10, gift_qty=1)
    buyer = tenant.buyer("C1")
    assert gifts(quote(buyer, ("A", 9))) == []
    q = quote(buyer, ("A", 25))
    assert gifts(q) == [("A", 2, "0.00")]  # repeats by default
    assert totals(q) == ("250.00", "0.00", "250.00")


def test_bundle_price(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "AB", kind="bundle", items=[{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}], price="20.00")
    buyer = tenant.buyer("C1")
    assert quote(buyer, ("A", 3), ("B", 1))["adjustments"] == []  # no complete set
    q = quote(buyer, ("A", 3), ("B", 5))  # 2 sets of (10 + 16) at 20: 12.00 off
    assert totals(q) == ("70.00", "12.00", "58.00")
    assert adjustments(q) == [("promotions:AB", "-12.00")]


# --- stacking --------------------------------------------------------------------


def test_of_amount_and_percent_the_one_that_saves_most_applies(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "M100", kind="threshold_amount_off", threshold="100", amount="20")
    promo(tenant, "P10", kind="threshold_percent_off", threshold="100", percent="10")
    promo(tenant, "M300", kind="threshold_amount_off", threshold="300", amount="25")
    buyer = tenant.buyer("C1")
    assert adjustments(quote(buyer, ("A", 15))) == [("promotions:M100", "-20.00")]
    assert adjustments(quote(buyer, ("A", 25))) == [("promotions:P10", "-25.00")]
    q = quote(buyer, ("A", 40))  # 400: 20 vs 40 vs 25
    assert adjustments(q) == [("promotions:P10", "-40.00")]
    assert totals(q) == ("400.00", "40.00", "360.00")


def test_every_qualifying_gift_applies_beside_the_best_discount(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "M100", kind="threshold_amount_off", threshold="100", amount="20")
    promo(tenant, "P5", kind="threshold_percent_off", threshold="100", percent="5")
    promo(tenant, "G1", kind="threshold_gift", threshold="100", gift_sku="GIFT")
    promo(tenant, "G2", kind="threshold_gift", threshold="150", gift_sku="CUP", gift_qty=3)
    promo(tenant, "G3", kind="threshold_gift", threshold="500", gift_sku="CUP")
    buyer = tenant.buyer("C1")
    q = quote(buyer, ("A", 20))
    assert adjustments(q) == [("promotions:M100", "-20.00")]
    assert gifts(q) == [("CUP", 3, "0.00"), ("GIFT", 1, "0.00")]
    assert totals(q) == ("200.00", "20.00", "180.00")


def test_thresholds_read_the_subtotal_after_special_prices(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "M100", kind="threshold_amount_off", threshold="100", amount="20")
    promo(tenant, "SP", kind="special_price", sku="A", price="9.00")
    buyer = tenant.buyer("C1")
    q = quote(buyer, ("A", 11))  # 110 at base price, 99 after the special price
    assert totals(q) == ("99.00", "0.00", "99.00")
    q = quote(buyer, ("A", 12))  # 108
    assert totals(q) == ("108.00", "20.00", "88.00")
    assert {li["price_source"] for li in q["lines"]} == {"promotions:SP"}


def test_a_discount_never_makes_the_total_negative(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "BIG", kind="threshold_amount_off", threshold="1", amount="500")
    promo(tenant, "BIG2", kind="threshold_amount_off", threshold="1", amount="500", group="other")
    q = quote(tenant.buyer("C1"), ("CUP", 3))
    assert totals(q) == ("3.00", "3.00", "0.00")
    assert sum(-float(a["amount"]) for a in q["adjustments"]) == 3.0


# --- targeting and dates ------------------------------------------------------------


def test_targeting_by_tier_and_customer(tenant: TenantAPI) -> None:
    make_shop(tenant)
    tenant.ok("put", "/tiers/silver", {"name": "Silver"})
    gold = tenant.buyer("G1", tier="gold")
    silver = tenant.buyer("S1", tier="silver")
    plain = tenant.buyer("P1")
    vip = tenant.buyer("V1", tier="silver")
    promo(tenant, "GOLD", kind="threshold_amount_off", threshold="50", amount="5", tiers=["gold"])
    promo(tenant, "VIP", kind="threshold_gift", threshold="50", gift_sku="GIFT", customers=["V1"],
          group="vip")
    assert adjustments(quote(gold, ("A", 5))) == [("promotions:GOLD", "-5.00")]
    assert quote(silver, ("A", 5))["adjustments"] == []
    assert quote(plain, ("A", 5))["adjustments"] == []
    assert gifts(quote(vip, ("A", 5))) == [("GIFT", 1, "0.00")]
    assert gifts(quote(gold, ("A", 5))) == []
    body = tenant.ok("get", "/promotions/GOLD")
    assert body["tiers"] == ["gold"] and body["customers"] == []
    # both lists narrow: a gold customer that is not named gets nothing
    promo(tenant, "BOTH", kind="threshold_percent_off", threshold="0", percent="50", tiers=["gold"],
          customers=["V1"], group="both")
    assert "promotions:BOTH" not in dict(adjustments(quote(gold, ("A", 5))))
    assert "promotions:BOTH" not in dict(adjustments(quote(vip, ("A", 5))))


def test_targeting_follows_a_customer_moving_tier(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "GOLD", kind="threshold_amount_off", threshold="0", amount="1", tiers=["gold"])
    buyer = tenant.buyer("C1")
    assert quote(buyer, ("A", 1))["adjustments"] == []
    tenant.ok("put", "/customers/C1", {"name": "C1", "tier": "gold"})
    assert adjustments(quote(buyer, ("A", 1))) == [("promotions:GOLD", "-1.00")]


def test_dates_bound_when_a_promotion_applies(tenant: TenantAPI) -> None:
    make_shop(tenant)
    now = datetime.now(ZoneInfo("UTC"))
    promo(tenant, "PAST", kind="threshold_amount_off", threshold="0", amount="1",
          ends_at=(now - timedelta(minutes=5)).isoformat(), group="g1")
    promo(tenant, "FUTURE", kind="threshold_amount_off", threshold="0", amount="2",
          starts_at=(now + timedelta(minutes=5)).isoformat(), group="g2")
    promo(tenant, "NOW", kind="threshold_amount_off", threshold="0", amount="3",
          starts_at=(now - timedelta(minutes=5)).isoformat(), ends_at=(now + timedelta(minutes=5)).isoformat(),
          group="g3")
    local_today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    promo(tenant, "TODAY", kind="threshold_amount_off", threshold="0", amount="4",
          starts_at=local_today.isoformat(), ends_at=local_today.isoformat(), group="g4")
    promo(tenant, "YESTERDAY", kind="threshold_amount_off", threshold="0", amount="5",
          starts_at=(local_today - timedelta(days=1)).isoformat(),
          ends_at=(local_today - timedelta(days=1)).isoformat(), group="g5")
    q = quote(tenant.buyer("C1"), ("A", 10))
    assert sorted(adjustments(q)) == [("promotions:NOW", "-3.00"), ("promotions:TODAY", "-4.00")]
    today = tenant.ok("get", "/promotions/TODAY")
    # a date is a whole day in the tenant's time zone; the end is exclusive
    assert today["starts_at"] == f"{local_today.isoformat()}T00:00:00+08:00"
    assert today["ends_at"] == f"{(local_today + timedelta(days=1)).isoformat()}T00:00:00+08:00"
    assert {p["code"]: p["status"] for p in tenant.ok("get", "/promotions")} == {
        "PAST": "ended", "FUTURE": "scheduled", "NOW": "running", "TODAY": "running", "YESTERDAY": "ended"}


def test_paused_promotions_do_not_apply(tenant: TenantAPI) -> None:
    make_shop(tenant)
    body = {"kind": "threshold_amount_off", "threshold": "0", "amount": "1"}
    promo(tenant, "X", **body, active=False)
    buyer = tenant.buyer("C1")
    assert quote(buyer, ("A", 1))["adjustments"] == []
    promo(tenant, "X", **body, active=True)
    assert adjustments(quote(buyer, ("A", 1))) == [("promotions:X", "-1.00")]


# --- bad input ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shop(client: Any) -> TenantAPI:
    """One tenant for the bad-input cases, with a promotion that must survive them all."""
    t = signup(client)
    make_shop(t)
    promo(t, "KEEP", kind="threshold_amount_off", threshold="100", amount="20", tiers=["gold"])
    return t



@pytest.mark.parametrize("body,field", [
    ({"kind": "threshold_percent_off", "threshold": "100", "percent": "101"}, "percent"),
    ({"kind": "threshold_percent_off", "threshold": "100", "percent": "-1"}, "percent"),
    ({"kind": "threshold_percent_off", "threshold": "100", "percent": "abc"}, "percent"),
    ({"kind": "threshold_amount_off", "threshold": "100", "amount": "-5"}, "amount"),
    ({"kind": "threshold_amount_off", "threshold": "-100", "amount": "5"}, "threshold"),
    ({"kind": "threshold_amount_off", "threshold": "100", "amount": "5.001"}, "amount"),
    ({"kind": "threshold_amount_off", "threshold": "100"}, "amount"),
    ({"kind": "threshold_amount_off", "threshold": "0", "amount": "5", "repeat": True}, "repeat"),
    ({"kind": "threshold_gift", "threshold": "100", "gift_sku": "NOPE"}, "gift_sku"),
    ({"kind": "threshold_gift", "threshold": "100", "gift_sku": "GIFT", "gift_qty": 0}, "gift_qty"),
    ({"kind": "special_price", "sku": "NOPE", "price": "1.00"}, "sku"),
    ({"kind": "special_price", "sku": "A", "price": "-1.00"}, "price"),
    ({"kind": "special_price", "sku": "A"}, "price"),
    ({"kind": "threshold_amount_off", "threshold": "1", "amount": "1", "starts_at": "2026-05-02",
      "ends_at": "2026-05-01"}, "ends_at"),
    ({"kind": "threshold_amount_off", "threshold": "1", "amount": "1", "starts_at": "2026-05-02T10:00:00+08:00",
      "ends_at": "2026-05-02T09:00:00+08:00"}, "ends_at"),
    ({"kind": "threshold_amount_off", "threshold": "1", "amount": "1", "starts_at": "tomorrow"}, "starts_at"),
    ({"kind": "threshold_amount_off", "threshold": "1", "amount": "1", "tiers": ["nope"]}, "tiers"),
    ({"kind": "threshold_amount_off", "threshold": "1", "amount": "1", "customers": ["NOPE"]}, "customers"),
    ({"kind": "threshold_amount_off", "threshold": "1", "amount": "1", "tiers": "gold"}, "tiers"),
    ({"kind": "threshold_amount_off", "threshold": "1", "amount": "1", "active": "maybe"}, "active"),
    ({"kind": "magic", "threshold": "1", "amount": "1"}, "kind"),
    ({"threshold": "1", "amount": "1"}, "kind"),
    ({"kind": "threshold_amount_off", "threshold": "1", "amount": "1", "amonut": "2"}, "amonut"),
    ({"kind": "bundle", "items": [{"sku": "A", "qty": 1}, {"sku": "NOPE", "qty": 1}], "price": "5"}, "items[1].sku"),
    ({"kind": "bundle", "items": [], "price": "5"}, "items"),
    ({"kind": "buy_x_get_y", "sku": "A", "buy_qty": 0}, "buy_qty"),
    ({"kind": "coupon", "amount": "5", "percent": "5"}, "amount"),
    ({"kind": "special_price", "sku": "A", "price": "1", "limit_per_order": -1}, "limit_per_order"),
])
def test_bad_input_is_422_and_nothing_is_stored(shop: TenantAPI, body: dict[str, Any], field: str) -> None:
    resp = shop.put("/promotions/BAD", json=body)
    assert resp.status_code == 422, resp.text
    problem = resp.json()
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in problem["errors"]], problem
    assert shop.get("/promotions/BAD").status_code == 404
    # an existing promotion stays as it was
    assert shop.put("/promotions/KEEP", json=body).status_code == 422
    kept = shop.ok("get", "/promotions/KEEP")
    assert (kept["kind"], kept["threshold"], kept["amount"], kept["tiers"]) == \
        ("threshold_amount_off", "100.00", "20.00", ["gold"])


@pytest.mark.parametrize("raw", [b"", b"not json", b"[]", b"null", b'{"kind": 5}',
                                 b'{"kind": "threshold_amount_off", "threshold": {}, "amount": []}'])
def test_garbage_bodies_never_500(shop: TenantAPI, raw: bytes) -> None:
    resp = shop.client.put(shop.url("/promotions/X"), content=raw,
                           headers={**shop.headers, "content-type": "application/json"})
    assert resp.status_code in (400, 422), resp.text
    assert shop.get("/promotions/X").status_code == 404


def test_a_coupon_code_belongs_to_one_promotion(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "C1", kind="coupon", amount="5", coupon="SAVE5")
    resp = tenant.put("/promotions/C2", json={"kind": "coupon", "amount": "6", "coupon": "save5"})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "coupon"


# --- orders -------------------------------------------------------------------------


def test_the_order_equals_its_quote_and_names_every_source(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "SP", kind="special_price", sku="C", price="24.99")
    promo(tenant, "P7", kind="threshold_percent_off", threshold="100", percent="7.5")
    promo(tenant, "M50", kind="threshold_amount_off", threshold="50", amount="3")
    promo(tenant, "G", kind="threshold_gift", threshold="100", gift_sku="GIFT")
    buyer = tenant.buyer("C1")
    lines = (("A", 3), ("B", 7), ("C", 5))
    q = quote(buyer, *lines)
    assert totals(q) == ("210.95", "15.82", "195.13")  # 7.5 % of 210.95 = 15.82125
    resp = order(buyer, *lines)
    assert resp.status_code == 201, resp.text
    placed = resp.json()
    assert totals(placed) == totals(q)
    assert adjustments(placed) == adjustments(q) == [("promotions:P7", "-15.82")]
    assert gifts(placed) == gifts(q) == [("GIFT", 1, "0.00")]
    again = tenant.ok("get", f"/orders/{placed['number']}")
    assert totals(again) == totals(q) and adjustments(again) == adjustments(q)
    report = {p["code"]: (p["orders"], p["discount_given"]) for p in tenant.ok("get", "/promotions")}
    assert report == {"SP": (1, "2.55"), "P7": (1, "15.82"), "M50": (0, "0.00"), "G": (1, "0.00")}


def test_upsell_hint_at_quote(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "M100", kind="threshold_amount_off", threshold="100", amount="20")
    q = quote(tenant.buyer("C1"), ("A", 6), ("CUP", 5))  # 65.00
    hints = [w["message"] for w in q["warnings"] if w["code"] == "promotion_available"]
    assert hints == ["再买 35.00 可减 20.00"]
    assert q["violations"] == []


# --- coupons ------------------------------------------------------------------------


def test_coupon_applies_only_with_its_code(tenant: TenantAPI) -> None:
    make_shop(tenant)
    body = promo(tenant, "WELCOME", kind="coupon", amount="10", threshold="50")
    assert body["coupon"] == "WELCOME"
    promo(tenant, "PCT", kind="threshold_percent_off", threshold="50", percent="5", coupon="Spring")
    buyer = tenant.buyer("C1")
    assert quote(buyer, ("A", 6))["adjustments"] == []
    q = quote(buyer, ("A", 6), coupon="welcome")
    assert adjustments(q) == [("promotions:WELCOME", "-10.00")] and q["violations"] == []
    assert adjustments(quote(buyer, ("A", 6), coupon="SPRING")) == [("promotions:PCT", "-3.00")]
    bad = quote(buyer, ("A", 6), coupon="NOPE")
    assert [v["code"] for v in bad["violations"]] == ["coupon_invalid"] and bad["adjustments"] == []
    short = quote(buyer, ("A", 4), coupon="WELCOME")
    assert [v["code"] for v in short["violations"]] == ["coupon_not_applicable"]
    assert "10.00" in short["violations"][0]["message"]
    resp = order(buyer, ("A", 6), coupon="NOPE")
    assert resp.status_code == 422 and resp.json()["violations"][0]["code"] == "coupon_invalid"
    placed = order(buyer, ("A", 6), coupon="WELCOME")
    assert placed.status_code == 201 and totals(placed.json()) == ("60.00", "10.00", "50.00")


def test_coupon_usage_limits_are_taken_at_placement_and_given_back_on_cancel(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "ONCE", kind="coupon", amount="5", uses_limit=2, uses_per_customer=1)
    a = tenant.buyer("CA")
    b = tenant.buyer("CB")
    c = tenant.buyer("CC")
    first = order(a, ("A", 1), coupon="ONCE")
    assert first.status_code == 201 and first.json()["discount"] == "5.00"
    # per customer: once
    q = quote(a, ("A", 1), coupon="ONCE")
    assert [v["code"] for v in q["violations"]] == ["coupon_invalid"]
    assert order(a, ("A", 1), coupon="ONCE").status_code == 422
    assert order(b, ("A", 1), coupon="ONCE").status_code == 201
    # overall: twice
    assert tenant.ok("get", "/promotions/ONCE")["used"] == 2
    resp = order(c, ("A", 1), coupon="ONCE")
    assert resp.status_code == 422 and resp.json()["violations"][0]["code"] == "coupon_invalid"
    # a cancelled order gives its use back
    a.ok("post", f"/orders/{first.json()['number']}/status", {"status": "cancelled"})
    assert tenant.ok("get", "/promotions/ONCE")["used"] == 1
    assert order(c, ("A", 1), coupon="ONCE").status_code == 201
    assert tenant.ok("get", "/promotions/ONCE")["status"] == "used_up"


def test_coupon_beaten_by_a_better_promotion_is_a_warning(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "AUTO", kind="threshold_amount_off", threshold="50", amount="20")
    promo(tenant, "SMALL", kind="coupon", amount="5")
    q = quote(tenant.buyer("C1"), ("A", 6), coupon="SMALL")
    assert adjustments(q) == [("promotions:AUTO", "-20.00")]
    assert q["violations"] == [] and "coupon_not_combined" in [w["code"] for w in q["warnings"]]


# --- purchase limits ------------------------------------------------------------------


def test_purchase_limit_per_order(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "SP", kind="special_price", sku="A", price="5.00", limit_per_order=5)
    buyer = tenant.buyer("C1")
    assert quote(buyer, ("A", 5))["violations"] == []
    q = quote(buyer, ("A", 6))
    assert [v["code"] for v in q["violations"]] == ["promotion_limit_exceeded"]
    resp = order(buyer, ("A", 6))
    assert resp.status_code == 422 and resp.json()["violations"][0]["code"] == "promotion_limit_exceeded"
    assert order(buyer, ("A", 5)).status_code == 201


def test_purchase_limit_per_customer(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "SP", kind="special_price", sku="A", price="5.00", limit_per_customer=5)
    buyer = tenant.buyer("C1")
    first = order(buyer, ("A", 3))
    assert first.status_code == 201
    q = quote(buyer, ("A", 3))
    assert [v["code"] for v in q["violations"]] == ["promotion_limit_exceeded"]
    assert "还可购买 2 件" in q["violations"][0]["message"]  # the tenant's language (zh_CN by default)
    assert order(buyer, ("A", 3)).status_code == 422
    assert order(tenant.buyer("C2"), ("A", 3)).status_code == 201  # another customer has its own
    tenant.ok("post", f"/orders/{first.json()['number']}/status", {"status": "rejected"})
    assert order(buyer, ("A", 3)).status_code == 201


def test_guests_get_only_untargeted_promotions() -> None:
    from types import SimpleNamespace

    from qudao.plugins.promotions.offers import _matches

    def p(**kw: Any) -> Any:
        base = {"target_tiers": False, "target_customers": False, "customer_types": [], "regions": [], "groups": []}
        return SimpleNamespace(**{**base, **kw})

    store = SimpleNamespace(id=1, tier_id=7, type="store", region="广东/深圳", groups=["north"])
    assert _matches(p(), None, set(), set())
    assert not _matches(p(target_tiers=True), None, {7}, set())
    assert not _matches(p(regions=["广东"]), None, set(), set())
    assert _matches(p(target_tiers=True), store, {7}, set())
    assert not _matches(p(target_tiers=True), store, set(), set())  # its tier was removed: nobody
    assert _matches(p(regions=["广东"], customer_types=["store"], groups=["north", "x"]), store, set(), set())
    assert not _matches(p(regions=["广西"]), store, set(), set())
    assert not _matches(p(customer_types=["key_account"]), store, set(), set())
    assert not _matches(p(groups=["south"]), store, set(), set())


def test_guests_get_untargeted_promotions_at_retail_price(tenant: TenantAPI) -> None:
    make_shop(tenant)
    tenant.ok("put", "/products/A", {"name": "Product A", "price": "10.00", "retail_price": "15.00"})
    tenant.ok("put", "/plugins/guest_checkout", {"enabled": True})
    promo(tenant, "ALL", kind="threshold_amount_off", threshold="100", amount="10")
    promo(tenant, "GOLD", kind="threshold_percent_off", threshold="0", percent="50", tiers=["gold"], group="g")
    promo(tenant, "ONE", kind="coupon", amount="5", uses_per_customer=1, group="c")
    guest = {"name": "王小明", "phone": "13800138000", "address": "上海市黄浦区南京东路 1 号"}
    body = {"lines": [{"sku": "A", "qty": 7}], "guest": guest}
    q = tenant.client.post(tenant.url("/cart/quote"), json=body).json()
    assert totals(q) == ("105.00", "10.00", "95.00") and adjustments(q) == [("promotions:ALL", "-10.00")]
    # a coupon limited per customer needs a customer account
    q = tenant.client.post(tenant.url("/cart/quote"), json={**body, "coupon": "ONE"}).json()
    assert [v["code"] for v in q["violations"]] == ["coupon_invalid"]
    resp = tenant.client.post(tenant.url("/orders"), json=body)
    assert resp.status_code == 201, resp.text
    assert totals(resp.json()) == ("105.00", "10.00", "95.00")
