# ruff: noqa: F811
"""No admin page answers 500 or shows a traceback, whatever the query string or form holds."""

from __future__ import annotations

from tests.test_admin_common import Staff, staff  # noqa: F401

GETS = [
    "", "/orders", "/orders/queue", "/orders/export", "/orders/SO-NONE", "/products", "/products/new",
    "/products/NOPE", "/brands", "/brands/new", "/brands/NOPE", "/customers", "/customers/tree", "/customers/new",
    "/customers/NOPE", "/tiers", "/tiers/new", "/tiers/NOPE", "/prices", "/prices/tier/NOPE", "/prices/product/NOPE",
    "/prices/check", "/stock", "/stock/low", "/stock/stocktake", "/stock/product/NOPE", "/warehouses",
    "/warehouses/new", "/warehouses/NOPE", "/settings", "/imports", "/exports/products", "/exports/nope",
    "/imports/template/nope", "/imports/jobs/xyz", "/reports", "/reports/chart", "/reports/sales.xlsx",
]
ODD = {"q": "%' OR 1=1 --<script>", "p": "-9999999999999999999", "status": "x" * 500, "brand": "\u0000",
       "warehouse": "../../", "customer": "'", "sku": "\ud7ff", "date": "9999-99-99", "format": "exe",
       "start": "2026-02-30", "end": "yesterday", "blind": "1"}
POSTS = [
    "/orders/SO-NONE/status", "/products/new", "/products/NOPE", "/brands/new", "/brands/NOPE", "/customers/new",
    "/customers/NOPE", "/customers/NOPE/users", "/tiers/new", "/tiers/NOPE", "/prices/tier/NOPE",
    "/prices/product/NOPE/tiers", "/prices/product/NOPE/customer", "/stock/product/NOPE/set",
    "/stock/product/NOPE/threshold", "/stock/stocktake", "/warehouses/new", "/warehouses/NOPE", "/settings",
    "/imports/products", "/imports/nope",
]


def test_get_pages_with_odd_query_strings(staff: Staff) -> None:
    staff.api.ok("put", "/warehouses/W1", {"name": "Main"})
    staff.api.ok("put", "/tiers/T1", {"name": "Tier"})
    staff.api.ok("put", "/products/P1", {"name": "P", "price": "1.00"})
    for path in GETS:
        for params in ({}, ODD):
            resp = staff.get(path, params=params)
            assert resp.status_code < 500, (path, params, resp.status_code, resp.text[:300])
            assert "Traceback" not in resp.text


def test_posts_with_empty_and_odd_forms(staff: Staff) -> None:
    staff.api.ok("put", "/products/P1", {"name": "P", "price": "1.00"})
    staff.api.ok("put", "/tiers/T1", {"name": "Tier"})
    odd = {"name": "x" * 5000, "price": "1e400", "sku": "../x", "code": "a b", "status": "shipped", "note": "\u0000",
           "min_qty": "99999999999999999999", "on_hand": "1.5", "warehouse": "'", "price[P1]": "NaN",
           "tier[T1]": "-0", "count[P1]": "1e3", "min_order_amount": "Infinity", "window_start": "24:00",
           "window_end": "", "email": "not-an-email", "password": "x", "customer": "'", "low_threshold": "-1"}
    for path in [*POSTS, "/prices/tier/T1", "/prices/product/P1/tiers", "/prices/product/P1/customer",
                 "/stock/product/P1/set", "/stock/product/P1/threshold", "/products/P1"]:
        for data in ({}, odd):
            resp = staff.post(path, data)
            assert resp.status_code < 500, (path, data, resp.status_code, resp.text[:300])
            assert "Traceback" not in resp.text
    assert staff.api.ok("get", "/products/P1")["name"] == "P"
