"""Clerks edit a submitted order's quantities and prices before approving it (audited).

Stock moves by the difference, promotions are re-applied to the new lines, credit
holds the new total, and every refusal changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TenantAPI


def shop(t: TenantAPI) -> TenantAPI:
    t.ok("put", "/warehouses/WH", {"name": "WH"})
    t.ok("put", "/products/A", {"name": "Tea A", "price": "10.00", "floor_price": "8.00"})
    t.ok("put", "/products/B", {"name": "Tea B", "price": "5.50"})
    t.ok("put", "/products/M6", {"name": "Six-pack", "price": "3.00", "order_multiple": 6})
    t.ok("put", "/products/GIFT", {"name": "Cup", "price": "2.00"})
    for sku, n in {"A": 50, "B": 50, "M6": 60, "GIFT": 10}.items():
        t.ok("put", f"/warehouses/WH/stock/{sku}", {"on_hand": n})
    return t.buyer("C1")


def place(buyer: TenantAPI, *lines: tuple[str, int]) -> str:
    body = buyer.ok("post", "/orders", {"lines": [{"sku": s, "qty": q} for s, q in lines]})
    return body["number"]


def reserved(t: TenantAPI, sku: str) -> int:
    return t.ok("get", f"/stock/{sku}")[0]["reserved"]


def lines(order: dict[str, Any]) -> dict[str, tuple[int, str, bool]]:
    return {ln["sku"] + ("+gift" if ln["gift"] else ""): (ln["qty"], ln["unit_price"], ln["gift"])
            for ln in order["lines"]}


def test_clerk_changes_quantity_and_price_then_approves(tenant: TenantAPI) -> None:
    buyer = shop(tenant)
    number = place(buyer, ("A", 10), ("B", 4))
    assert reserved(tenant, "A") == 10
    edited = tenant.ok("patch", f"/orders/{number}", {
        "lines": [{"sku": "A", "qty": 6}, {"sku": "B", "unit_price": "5.00"}], "reason": "customer called"})
    assert lines(edited) == {"A": (6, "10.00", False), "B": (4, "5.00", False)}
    assert (edited["subtotal"], edited["total"]) == ("80.00", "80.00")
    assert reserved(tenant, "A") == 6 and reserved(tenant, "B") == 4
    edit = edited["events"][-1]
    assert edit["status"] == "edited" and "customer called" in edit["note"] and "10→6" in edit["note"]
    # the buyer sees the same order and its timeline
    assert buyer.ok("get", f"/orders/{number}")["total"] == "80.00"
    assert [e["status"] for e in buyer.ok("get", f"/orders/{number}")["events"]] == ["submitted", "edited"]
    tenant.ok("post", f"/orders/{number}/status", {"status": "approved"})
    assert tenant.patch(f"/orders/{number}", json={"lines": [{"sku": "A", "qty": 1}]}).status_code == 409


def test_removing_a_line_releases_its_stock(tenant: TenantAPI) -> None:
    buyer = shop(tenant)
    number = place(buyer, ("A", 3), ("B", 7))
    edited = tenant.ok("patch", f"/orders/{number}", {"lines": [{"sku": "B", "qty": 0}]})
    assert lines(edited) == {"A": (3, "10.00", False)}
    assert edited["total"] == "30.00"
    assert reserved(tenant, "B") == 0
    # the last line cannot go: reject or cancel the order instead
    resp = tenant.patch(f"/orders/{number}", json={"lines": [{"sku": "A", "qty": 0}]})
    assert resp.status_code == 422 and "cancel" in resp.text


def snapshot(t: TenantAPI, number: str) -> tuple[Any, ...]:
    order = t.ok("get", f"/orders/{number}")
    return order["lines"], order["total"], len(order["events"]), reserved(t, "A"), reserved(t, "M6")


@pytest.mark.parametrize("body,status,text", [
    ({"lines": [{"sku": "A", "qty": -1}]}, 422, "lines[0].qty"),
    ({"lines": [{"sku": "A", "qty": 2.5}]}, 422, "lines[0].qty"),
    ({"lines": [{"sku": "A", "qty": "many"}]}, 422, "lines[0].qty"),
    ({"lines": [{"sku": "NOPE", "qty": 1}]}, 422, "not a line of this order"),
    ({"lines": [{"sku": "A", "unit_price": "-1"}]}, 422, "lines[0].unit_price"),
    ({"lines": [{"sku": "A", "unit_price": "9.999"}]}, 422, "lines[0].unit_price"),
    ({"lines": [{"sku": "A", "unit_price": "abc"}]}, 422, "lines[0].unit_price"),
    ({"lines": [{"sku": "A", "unit_price": "7.99"}]}, 422, "below_price_floor"),
    ({"lines": [{"sku": "A", "qty": 1000}]}, 422, "insufficient_stock"),
    ({"lines": [{"sku": "M6", "qty": 7}]}, 422, "order_multiple"),
    ({"lines": []}, 422, "lines"),
    ({"lines": [{"sku": "A", "qty": 5}]}, 422, "nothing to change"),
    ({"lines": [{"sku": "A", "qty": 4}, {"sku": "A", "qty": 3}]}, 422, "named twice"),
])
def test_bad_edits_are_refused_and_change_nothing(tenant: TenantAPI, body: dict[str, Any], status: int,
                                                  text: str) -> None:
    buyer = shop(tenant)
    number = place(buyer, ("A", 5), ("M6", 6))
    before = snapshot(tenant, number)
    resp = tenant.patch(f"/orders/{number}", json=body)
    assert resp.status_code == status, resp.text
    assert text in resp.text
    assert snapshot(tenant, number) == before


def test_only_staff_who_approve_may_edit(tenant: TenantAPI) -> None:
    buyer = shop(tenant)
    number = place(buyer, ("A", 5))
    body = {"lines": [{"sku": "A", "qty": 1}]}
    assert buyer.patch(f"/orders/{number}", json=body).status_code in (403, 404)
    tenant.ok("put", "/staff/wh@x.test", {"role": "warehouse", "password": "long-enough-pw"})
    assert tenant.as_user("wh@x.test", "long-enough-pw").patch(f"/orders/{number}", json=body).status_code == 403
    tenant.ok("put", "/staff/clerk@x.test", {"role": "order_clerk", "password": "long-enough-pw"})
    clerk = tenant.as_user("clerk@x.test", "long-enough-pw")
    assert clerk.ok("patch", f"/orders/{number}", body)["total"] == "10.00"
    assert tenant.patch("/orders/SO19990101-0001", json=body).status_code == 404


def test_promotions_follow_the_edit_and_gift_stock_moves(tenant: TenantAPI) -> None:
    buyer = shop(tenant)
    tenant.ok("put", "/plugins/promotions", {"enabled": True})
    tenant.ok("put", "/promotions/OFF10", {"kind": "threshold_amount_off", "threshold": "100.00", "amount": "10.00"})
    tenant.ok("put", "/promotions/CUP", {"kind": "threshold_gift", "threshold": "100.00", "gift_sku": "GIFT",
                                        "gift_qty": 1})
    number = place(buyer, ("A", 12))
    order = tenant.ok("get", f"/orders/{number}")
    assert order["total"] == "110.00" and lines(order)["GIFT+gift"] == (1, "0.00", True)
    assert reserved(tenant, "GIFT") == 1
    edited = tenant.ok("patch", f"/orders/{number}", {"lines": [{"sku": "A", "qty": 9}]})
    # 90.00 is under the threshold: no discount, no gift, the cup goes back to stock
    assert (edited["subtotal"], edited["discount"], edited["total"]) == ("90.00", "0.00", "90.00")
    assert "GIFT+gift" not in lines(edited) and edited["adjustments"] == []
    assert reserved(tenant, "GIFT") == 0
    # and the order equals what a quote of the same lines gives the buyer now
    quote = buyer.ok("post", "/cart/quote", {"lines": [{"sku": "A", "qty": 9}]})
    assert quote["total"] == edited["total"]


def test_credit_holds_the_edited_total(tenant: TenantAPI) -> None:
    buyer = shop(tenant)
    tenant.ok("put", "/plugins/credit", {"enabled": True})
    tenant.ok("put", "/credit/C1", {"limit": "100.00"})
    number = place(buyer, ("A", 5))
    assert tenant.ok("get", "/credit/C1")["used"] == "50.00"
    tenant.ok("patch", f"/orders/{number}", {"lines": [{"sku": "A", "qty": 9}]})
    assert tenant.ok("get", "/credit/C1")["used"] == "90.00"
    # over the limit: refused, nothing changed (order, stock, credit)
    resp = tenant.patch(f"/orders/{number}", json={"lines": [{"sku": "A", "qty": 11}]})
    assert resp.status_code == 422 and "credit_limit_exceeded" in resp.text
    assert tenant.ok("get", f"/orders/{number}")["total"] == "90.00"
    assert reserved(tenant, "A") == 9
    assert tenant.ok("get", "/credit/C1")["used"] == "90.00"
    tenant.ok("patch", f"/orders/{number}", {"lines": [{"sku": "A", "qty": 2}]})
    assert tenant.ok("get", "/credit/C1")["used"] == "20.00"
    tenant.ok("post", f"/orders/{number}/status", {"status": "cancelled"})
    assert tenant.ok("get", "/credit/C1")["used"] == "0.00"


def test_an_unchanged_price_below_a_raised_floor_does_not_block_an_edit(tenant: TenantAPI) -> None:
    """The edit form sends every line's price; only a changed price must respect the floor."""
    buyer = shop(tenant)
    number = place(buyer, ("A", 5), ("B", 2))
    tenant.ok("put", "/products/A", {"name": "Tea A", "price": "13.00", "floor_price": "12.00"})
    edited = tenant.ok("patch", f"/orders/{number}", {"lines": [{"sku": "A", "qty": 5, "unit_price": "10.00"},
                                                                {"sku": "B", "qty": 3}]})
    assert lines(edited) == {"A": (5, "10.00", False), "B": (3, "5.50", False)}
    resp = tenant.patch(f"/orders/{number}", json={"lines": [{"sku": "A", "unit_price": "11.00"}]})
    assert resp.status_code == 422 and "below_price_floor" in resp.text
