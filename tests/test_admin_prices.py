# ruff: noqa: F811
"""Admin price pages: bulk tier edit (all-or-nothing, per-row errors), product prices, price checker."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from tests.test_admin_common import Staff, staff, text_of  # noqa: F401


def setup(staff: Staff) -> None:
    api = staff.api
    api.ok("put", "/tiers/GOLD", {"name": "Gold"})
    for sku, price in (("A", "10.00"), ("B", "20.00"), ("C", "30.00")):
        api.ok("put", f"/products/{sku}", {"name": f"Product {sku}", "price": price})
    api.ok("put", "/products/C", {"floor_price": "25.00"})
    api.ok("put", "/customers/K1", {"name": "Key one", "tier": "GOLD"})


def test_bulk_tier_prices_all_or_nothing(staff: Staff) -> None:
    setup(staff)
    page = staff.get("/prices/tier/GOLD")
    assert 'name="price[A]"' in page.text
    bad = {"price[A]": "9.00", "price[B]": "abc", "price[C]": "20.00",
           "current[A]": "", "current[B]": "", "current[C]": ""}
    resp = staff.post("/prices/tier/GOLD", bad)
    assert resp.status_code == 422
    assert 'data-field="price[B]"' in resp.text and 'data-field="price[C]"' in resp.text
    assert "price floor" in resp.text
    assert 'value="9.00"' in resp.text  # what the user typed is kept
    assert Decimal(staff.api.ok("get", "/products/A")["price"]) == Decimal("10.00")
    buyer = staff.api.buyer("K1", tier="GOLD")
    assert {i["sku"]: i["price"] for i in buyer.ok("get", "/products")["items"]}["A"] == "10.00"
    good = {**bad, "price[B]": "18.00", "price[C]": "26.00"}
    resp = staff.post("/prices/tier/GOLD", good)
    assert resp.status_code == 200 and "3 price(s) saved" in resp.text
    prices = {i["sku"]: (i["price"], i["price_source"]) for i in buyer.ok("get", "/products")["items"]}
    assert prices["A"] == ("9.00", "tier") and prices["C"] == ("26.00", "tier")
    # emptying a row removes the tier price
    staff.post("/prices/tier/GOLD", {"price[A]": "", "current[A]": "9.00"})
    prices = {i["sku"]: (i["price"], i["price_source"]) for i in buyer.ok("get", "/products")["items"]}
    assert prices["A"] == ("10.00", "base")


def test_product_prices_and_checker(staff: Staff) -> None:
    setup(staff)
    staff.post("/prices/product/B/tiers", {"tier[GOLD]": "15.00", "current[GOLD]": ""})
    resp = staff.post("/prices/product/B/customer", {"customer": "K1", "price": "12.00"})
    assert resp.status_code == 200 and "K1" in resp.text
    resp = staff.post("/prices/product/B/customer", {"customer": "NOPE", "price": "12.00"})
    assert resp.status_code == 422 and "NOPE" in resp.text
    resp = staff.post("/prices/product/C/customer", {"customer": "K1", "price": "1.00"})
    assert resp.status_code == 422 and "floor" in resp.text
    check = staff.get("/prices/check", params={"customer": "K1", "sku": "B"})
    text = text_of(check.text)
    assert "12.00" in text and "customer" in text
    check = staff.get("/prices/check", params={"customer": "K1", "sku": "A"})
    assert "10.00" in check.text and "base" in check.text
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    check = staff.get("/prices/check", params={"customer": "K1", "sku": "B", "date": yesterday})
    assert check.status_code == 200 and "No price on that date" in check.text
    check = staff.get("/prices/check", params={"customer": "K1", "sku": "B", "date": "2026-13-45"})
    assert check.status_code == 422 and 'data-field="date"' in check.text
    check = staff.get("/prices/check", params={"customer": "K1", "sku": "NOPE"})
    assert check.status_code == 422
    staff.post("/prices/product/B/customer/K1/delete")
    check = staff.get("/prices/check", params={"customer": "K1", "sku": "B"})
    assert "15.00" in check.text and "tier" in check.text
    assert "B" in staff.get("/prices").text


def test_price_policy_editor(staff: Staff) -> None:
    setup(staff)
    form = {"code": "SUMMER", "name": "Summer", "priority": "5", "mode": "percent", "amount": "90",
            "valid_from": "", "valid_until": "", "active": "true", "skus": "A, B", "categories": "", "brands": "",
            "customers": "", "tiers": "GOLD", "customer_types": "", "regions": ""}
    bad = staff.post("/prices/policies/new", {**form, "skus": "A, NOPE", "amount": "-1",
                                              "valid_from": "2026-01-02T00:00", "valid_until": "2026-01-01T00:00"})
    assert bad.status_code == 422
    for field in ("skus", "amount", "valid_until"):
        assert f'data-field="{field}"' in bad.text, field
    assert "SUMMER" not in staff.get("/prices/policies").text
    ok = staff.post("/prices/policies/new", form)
    assert ok.status_code == 200 and "SUMMER" in ok.text
    check = text_of(staff.get("/prices/check", params={"customer": "K1", "sku": "A"}).text)
    assert "9.00" in check and "policy" in check
    edit = staff.get("/prices/policies/SUMMER")
    assert 'value="A, B"' in edit.text and 'value="90"' in edit.text
    below = staff.post("/prices/policies/SUMMER", {**form, "skus": "C", "amount": "50"})  # C's floor is 25.00
    assert below.status_code == 422 and "floor" in below.text
    staff.post("/prices/policies/SUMMER/delete")
    assert "SUMMER" not in staff.get("/prices/policies").text
