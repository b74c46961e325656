# ruff: noqa: F811
"""Admin order pages: list, approval queue, approve/reject, illegal transitions as flash, shipping."""

from __future__ import annotations

from typing import Any

from tests.conftest import TenantAPI
from tests.test_admin_common import Staff, staff, text_of  # noqa: F401


def place(api: TenantAPI, qty: int = 2, customer: str = "C1") -> tuple[TenantAPI, str]:
    api.ok("put", "/warehouses/W1", {"name": "Main"})
    api.ok("put", "/products/P1", {"name": "Green tea", "price": "10.00"})
    api.ok("put", "/warehouses/W1/stock/P1", {"on_hand": 100})
    buyer = api.buyer(customer, name="Shop One")
    order = buyer.ok("post", "/orders", {"lines": [{"sku": "P1", "qty": qty}]})
    return buyer, order["number"]


def test_list_search_and_filter(staff: Staff) -> None:
    _, number = place(staff.api)
    resp = staff.get("/orders")
    assert number in resp.text
    assert number in staff.get("/orders", params={"q": "shop one"}).text
    assert number not in staff.get("/orders", params={"q": "nobody"}).text
    assert number in staff.get("/orders", params={"status": "submitted"}).text
    assert number not in staff.get("/orders", params={"status": "shipped"}).text
    assert staff.get("/orders", params={"status": "bogus", "p": "x"}).status_code == 200


def test_approve_reject_and_flow(staff: Staff) -> None:
    _, number = place(staff.api)
    _, other = place(staff.api, customer="C2")
    queue = staff.get("/orders/queue")
    assert number in queue.text and other in queue.text
    # reject needs a reason: flash error, nothing changed
    resp = staff.post(f"/orders/{other}/status", {"status": "rejected", "back": "/orders/queue"})
    assert resp.status_code == 200 and "reason" in resp.text
    assert staff.api.ok("get", f"/orders/{other}")["status"] == "submitted"
    resp = staff.post(f"/orders/{other}/status", {"status": "rejected", "note": "no credit", "back": "/orders/queue"},
                      headers={"HX-Request": "true"})
    assert resp.status_code == 200
    assert staff.api.ok("get", f"/orders/{other}")["status"] == "rejected"
    staff.post(f"/orders/{number}/status", {"status": "approved"})
    assert staff.api.ok("get", f"/orders/{number}")["status"] == "approved"
    # an illegal transition (409 in core) is a flash message, not an error page
    resp = staff.post(f"/orders/{number}/status", {"status": "delivered"})
    assert resp.status_code == 200 and "cannot become delivered" in resp.text
    assert 'class="flash error"' in resp.text
    staff.post(f"/orders/{number}/status", {"status": "picking"})
    # shipping needs a carrier
    resp = staff.post(f"/orders/{number}/status", {"status": "shipped"})
    assert "carrier" in text_of(resp.text)
    assert staff.api.ok("get", f"/orders/{number}")["status"] == "picking"
    resp = staff.post(f"/orders/{number}/status", {"status": "shipped", "carrier": "SF Express",
                                                   "tracking_number": "SF123"})
    view = staff.api.ok("get", f"/orders/{number}")
    assert view["status"] == "shipped" and view["tracking_number"] == "SF123"
    page = staff.get(f"/orders/{number}")
    text = text_of(page.text)
    assert "SF Express" in text and "SF123" in text and "P1" in text and "20.00" in text
    assert page.text.count("<li>") >= 4  # submitted, approved, picking, shipped
    assert staff.api.ok("get", "/stock/P1")[0]["on_hand"] == 98


def test_unknown_order_is_404_page(staff: Staff) -> None:
    resp = staff.get("/orders/SO-NOPE")
    assert resp.status_code == 404
    resp = staff.post("/orders/SO-NOPE/status", {"status": "approved"})
    assert resp.status_code == 200 and "no order" in resp.text


def test_other_tenants_order_is_hidden(staff: Staff, other_tenant: TenantAPI) -> None:
    _, number = place(other_tenant)
    assert number not in staff.get("/orders").text
    assert staff.get(f"/orders/{number}").status_code == 404


def test_order_page_shows_adjustments(staff: Staff, client: Any) -> None:
    _, number = place(staff.api)
    resp = staff.get(f"/orders/{number}")
    assert resp.status_code == 200 and "Green tea" in resp.text


def test_erp_export(staff: Staff) -> None:
    import csv
    import io

    _, number = place(staff.api)
    _, other = place(staff.api, customer="C2")
    staff.post(f"/orders/{number}/status", {"status": "approved"})
    page = staff.get("/orders/export")
    assert page.status_code == 200 and "1 " in text_of(page.text)
    resp = staff.get("/orders/export", params={"format": "csv"})
    assert resp.status_code == 200 and "attachment" in resp.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert rows[0][0] == "order_number" and len(rows) == 2 and rows[1][0] == number and rows[1][9] == "P1"
    resp = staff.get("/orders/export", params={"format": "xlsx", "status": "all"})
    assert resp.content[:2] == b"PK"
    resp = staff.get("/orders/export", params={"status": "nope", "start": "x"})
    assert resp.status_code == 422 and 'data-field="start"' in resp.text
    del other


def test_clerk_edits_an_order_on_its_page(staff: Staff) -> None:
    buyer, number = place(staff.api, qty=5)
    page = staff.get(f"/orders/{number}")
    assert 'id="edit-form"' in page.text and 'name="qty:P1"' in page.text
    # bad input: a flash message, nothing changed
    resp = staff.post(f"/orders/{number}/edit", {"qty:P1": "-3", "price:P1": "10.00"})
    assert resp.status_code == 200 and 'class="flash error"' in resp.text and "0 to" in text_of(resp.text)
    resp = staff.post(f"/orders/{number}/edit", {"qty:P1": "5", "price:P1": "abc"})
    assert 'class="flash error"' in resp.text and "12.50" in text_of(resp.text)
    assert staff.api.ok("get", f"/orders/{number}")["total"] == "50.00"
    resp = staff.post(f"/orders/{number}/edit", {"qty:P1": "3", "price:P1": "9.50", "reason": "phone call"})
    assert resp.status_code == 200 and 'class="flash error"' not in resp.text
    view = buyer.ok("get", f"/orders/{number}")
    assert view["total"] == "28.50" and view["lines"][0]["price_source"] == "manual"
    timeline = text_of(staff.get(f"/orders/{number}").text)
    assert "phone call" in timeline and "5→3" in timeline and "10.00→9.50" in timeline
    staff.post(f"/orders/{number}/status", {"status": "approved"})
    assert 'id="edit-form"' not in staff.get(f"/orders/{number}").text
    resp = staff.post(f"/orders/{number}/edit", {"qty:P1": "1"})
    assert 'class="flash error"' in resp.text and "submitted" in text_of(resp.text)
