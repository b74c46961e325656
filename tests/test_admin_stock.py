# ruff: noqa: F811
"""Admin stock pages: set on hand with a reason (ledger), bad input 422, low stock, stocktake, warehouses."""

from __future__ import annotations

from tests.test_admin_common import Staff, staff, text_of  # noqa: F401


def setup(staff: Staff) -> None:
    staff.post("/warehouses/new", {"code": "W1", "name": "Main"})
    staff.api.ok("put", "/products/P1", {"name": "Tea", "price": "10.00"})
    staff.api.ok("put", "/products/P2", {"name": "Coffee", "price": "20.00"})


def test_set_on_hand_ledger_and_low_stock(staff: Staff) -> None:
    setup(staff)
    resp = staff.post("/stock/product/P1/set", {"warehouse": "W1", "on_hand": "40", "note": "first count"})
    assert resp.status_code == 200 and "+40" in resp.text
    assert staff.api.ok("get", "/stock/P1")[0]["on_hand"] == 40
    page = staff.get("/stock/product/P1")
    assert "first count" in page.text and "adjustment" in page.text
    # bad input: nothing stored
    for bad in ({"warehouse": "W1", "on_hand": "-3", "note": "x"}, {"warehouse": "W1", "on_hand": "abc", "note": "x"},
                {"warehouse": "W1", "on_hand": "5", "note": ""}, {"warehouse": "NOPE", "on_hand": "5", "note": "x"},
                {"warehouse": "W1", "on_hand": "", "note": "x"}):
        resp = staff.post("/stock/product/P1/set", bad)
        assert resp.status_code == 422, bad
        assert 'class="flash error"' in resp.text
    assert staff.api.ok("get", "/stock/P1")[0]["on_hand"] == 40
    assert staff.get("/stock/product/NOPE").status_code == 404
    # low stock
    assert staff.post("/stock/product/P1/threshold", {"warehouse": "W1", "low_threshold": "x"}).status_code == 422
    staff.post("/stock/product/P1/threshold", {"warehouse": "W1", "low_threshold": "50"})
    assert "P1" in staff.get("/stock/low").text
    staff.post("/stock/product/P1/threshold", {"warehouse": "W1", "low_threshold": ""})
    assert "P1" not in staff.get("/stock/low").text
    lst = staff.get("/stock", params={"q": "tea"})
    assert "P1" in lst.text and "40" in lst.text


def test_stocktake_all_or_nothing(staff: Staff) -> None:
    setup(staff)
    staff.post("/stock/product/P1/set", {"warehouse": "W1", "on_hand": "10", "note": "start"})
    sheet = staff.get("/stock/stocktake", params={"warehouse": "W1", "blind": "1"})
    assert 'name="count[P1]"' in sheet.text and 'name="count[P2]"' in sheet.text
    resp = staff.post("/stock/stocktake", {"warehouse": "W1", "count[P1]": "8", "count[P2]": "-1"})
    assert resp.status_code == 422 and 'data-field="count[P2]"' in resp.text
    assert staff.api.ok("get", "/stock/P1")[0]["on_hand"] == 10
    resp = staff.post("/stock/stocktake", {"warehouse": "W1", "count[P1]": "8", "count[P2]": "5"})
    assert resp.status_code == 200 and "P1 -2" in resp.text
    assert staff.api.ok("get", "/stock/P1")[0]["on_hand"] == 8
    assert staff.api.ok("get", "/stock/P2")[0]["on_hand"] == 5
    assert "stocktake" in staff.get("/stock/product/P2").text


def test_warehouse_forms(staff: Staff) -> None:
    assert staff.post("/warehouses/new", {"code": "bad code", "name": "x"}).status_code == 422
    staff.post("/warehouses/new", {"code": "W9", "name": "Nine"})
    assert staff.post("/warehouses/new", {"code": "W9", "name": "Dup"}).status_code == 422
    assert staff.post("/warehouses/W9", {"name": ""}).status_code == 422
    staff.post("/warehouses/W9", {"name": "Nueve"})
    assert "Nueve" in staff.get("/warehouses").text


def test_receipts_in_transit_arrival_and_transfer(staff: Staff) -> None:
    setup(staff)
    staff.post("/warehouses/new", {"code": "W2", "name": "North"})

    def level(wh: str) -> dict[str, int]:
        return next(r for r in staff.api.ok("get", "/stock/P1") if r["warehouse"] == wh)

    staff.post("/stock/product/P1/move", {"kind": "receipt", "warehouse": "W1", "qty": "30", "note": "PO-1"})
    staff.post("/stock/product/P1/move", {"kind": "incoming", "warehouse": "W1", "qty": "12"})
    assert level("W1")["on_hand"] == 30 and level("W1")["in_transit"] == 12
    resp = staff.post("/stock/product/P1/move", {"kind": "arrival", "warehouse": "W1", "qty": "20"})
    assert resp.status_code == 422 and "only 12 in transit" in resp.text
    staff.post("/stock/product/P1/move", {"kind": "arrival", "warehouse": "W1", "qty": "12"})
    assert level("W1")["on_hand"] == 42 and level("W1")["in_transit"] == 0
    resp = staff.post("/stock/product/P1/move", {"kind": "transfer", "warehouse": "W1", "to_warehouse": "W1",
                                                 "qty": "5"})
    assert resp.status_code == 422 and 'data-field="to_warehouse"' in resp.text
    resp = staff.post("/stock/product/P1/move", {"kind": "transfer", "warehouse": "W1", "to_warehouse": "W2",
                                                 "qty": "500"})
    assert resp.status_code == 422 and level("W1")["on_hand"] == 42
    staff.post("/stock/product/P1/move", {"kind": "transfer", "warehouse": "W1", "to_warehouse": "W2", "qty": "10"})
    assert level("W1")["on_hand"] == 32 and level("W2")["in_transit"] == 10
    for bad in ({"kind": "teleport", "warehouse": "W1", "qty": "1"}, {"kind": "receipt", "warehouse": "W1", "qty": "0"},
                {"kind": "receipt", "warehouse": "W1", "qty": ""}, {"kind": "receipt", "warehouse": "NOPE", "qty": "1"}):
        assert staff.post("/stock/product/P1/move", bad).status_code == 422, bad
    ledger = text_of(staff.get("/stock/product/P1").text)
    for kind in ("receipt", "in_transit", "arrival", "transfer"):
        assert kind in ledger, kind
    assert "PO-1" in ledger
