# ruff: noqa: F811
"""Imports and exports (issue 3): .xlsx and CSV, errors by row and column, all-or-nothing, 10,000 rows."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import time
from decimal import Decimal
from typing import Any

from openpyxl import Workbook, load_workbook

from tests.test_admin_common import Staff, staff, text_of  # noqa: F401


def xlsx(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode("utf-8")


def upload(staff: Staff, kind: str, name: str, data: bytes, follow: bool = True, **extra: str) -> Any:
    resp = staff.client.post(staff.url(f"/imports/{kind}"), data={"_csrf_token": staff.csrf, **extra},
                             files={"file": (name, io.BytesIO(data), "application/octet-stream")},
                             follow_redirects=follow)
    assert "Traceback" not in resp.text
    return resp


def test_products_xlsx_round_trip(staff: Staff) -> None:
    staff.api.ok("put", "/brands/TEA", {"name": "Tea"})
    rows = [["sku", "name", "price", "brand", "unit", "min_qty", "active"],
            ["A-1", "绿茶", 12.5, "TEA", "瓶", 6, "yes"], ["A-2", "红茶", "8.00", "", "", "", "false"]]
    resp = upload(staff, "products", "p.xlsx", xlsx(rows))
    assert resp.status_code == 200, text_of(resp.text)[:2000]
    a1 = staff.api.ok("get", "/products/A-1")
    assert Decimal(a1["price"]) == Decimal("12.50") and a1["brand"] == "TEA" and a1["min_qty"] == 6
    assert staff.api.ok("get", "/products/A-2")["active"] is False
    exported = staff.get("/exports/products", params={"format": "xlsx"})
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(exported.content)).active
    values = list(ws.iter_rows(values_only=True))
    assert values[0][0] == "sku" and values[1][:3] == ("A-1", "绿茶", "12.50")
    # the export imports again unchanged
    resp = upload(staff, "products", "again.xlsx", exported.content)
    assert resp.status_code == 200 and "2 updated" in text_of(resp.text)
    csv_out = staff.get("/exports/products", params={"format": "csv"})
    assert csv_out.content.decode("utf-8-sig").startswith("sku,name,price")


def test_bad_rows_reported_by_row_and_column_nothing_stored(staff: Staff) -> None:
    rows = [["sku", "name", "price", "brand", "min_qty"],
            ["OK-1", "Fine", "1.00", "", ""],
            ["BAD 2", "Bad sku", "1.00", "", ""],
            ["OK-3", "Neg", "-5", "", ""],
            ["OK-4", "Brand", "1.00", "NOPE", "0"],
            ["OK-1", "Dup", "1.00", "", ""]]
    resp = upload(staff, "products", "p.csv", csv_bytes(rows))
    assert resp.status_code == 422
    text = text_of(resp.text)
    assert "Nothing was imported" in text
    assert "'OK-1' appears again (first on row 2)" in text
    assert staff.api.get("/products/OK-1").status_code == 404
    resp = upload(staff, "products", "p.csv", csv_bytes(rows[:-1]))
    assert resp.status_code == 422
    table = resp.text[resp.text.index('id="import-errors"'):]
    cells = [text_of(c).strip() for c in table.split("<tr>")[2:]]
    assert any(c.startswith("3 sku") for c in cells), cells
    assert any(c.startswith("4 price") and "negative" in c for c in cells), cells
    assert any(c.startswith("5 brand") for c in cells) and any(c.startswith("5 min_qty") for c in cells), cells
    assert staff.api.get("/products/OK-1").status_code == 404
    # header problems
    resp = upload(staff, "products", "h.csv", csv_bytes([["sku", "nme", "price"], ["X", "x", "1"]]))
    assert resp.status_code == 422 and "unknown column" in resp.text
    resp = upload(staff, "products", "x.xlsx", b"PK\x03\x04 not really")
    assert resp.status_code == 422 and "xlsx" in resp.text
    resp = upload(staff, "products", "e.csv", b"")
    assert resp.status_code == 422


def test_customers_and_prices_import(staff: Staff) -> None:
    api = staff.api
    api.ok("put", "/tiers/GOLD", {"name": "Gold"})
    api.ok("put", "/products/P1", {"name": "P1", "price": "10.00", "floor_price": "5.00"})
    rows = [["code", "name", "type", "tier", "parent", "region"],
            ["S1", "Store", "store", "GOLD", "D1", "上海"],  # parent defined later in the file
            ["D1", "Dist", "l1_distributor", "", "", ""]]
    resp = upload(staff, "customers", "c.csv", csv_bytes(rows))
    assert resp.status_code == 200, text_of(resp.text)[:1500]
    assert api.ok("get", "/customers/S1")["parent"] == "D1"
    cyc = [["code", "parent"], ["D1", "S1"]]
    resp = upload(staff, "customers", "c.csv", csv_bytes(cyc))
    assert resp.status_code == 422 and "cycle" in resp.text
    prices = [["kind", "target", "sku", "price"], ["tier", "GOLD", "P1", "9.00"], ["customer", "S1", "P1", "8.00"]]
    assert upload(staff, "prices", "pr.xlsx", xlsx(prices)).status_code == 200
    buyer = api.buyer("S1")
    assert buyer.ok("get", "/products")["items"][0]["price"] == "8.00"
    bad = [["kind", "target", "sku", "price"], ["tier", "NOPE", "P1", "9.00"], ["customer", "S1", "P1", "4.00"],
           ["tier", "GOLD", "NOPE", "1"], ["zone", "x", "P1", "1"], ["tier", "GOLD", "P1", "7.00"]]
    resp = upload(staff, "prices", "pr.csv", csv_bytes(bad))
    assert resp.status_code == 422
    text = text_of(resp.text)
    assert "2 target" in text and "3 price" in text and "4 sku" in text and "5 kind" in text
    assert buyer.ok("get", "/products")["items"][0]["price"] == "8.00"
    out = staff.get("/exports/prices", params={"format": "csv"}).content.decode("utf-8-sig")
    assert "tier,GOLD,P1,9.00" in out and "customer,S1,P1,8.00" in out
    # dry run stores nothing
    resp = upload(staff, "prices", "pr.csv", csv_bytes([["kind", "target", "sku", "price"],
                                                        ["tier", "GOLD", "P1", "6.00"]]), dry_run="true")
    assert resp.status_code == 200 and "Nothing was stored" in resp.text
    assert "tier,GOLD,P1,9.00" in staff.get("/exports/prices", params={"format": "csv"}).content.decode("utf-8-sig")
    for kind in ("products", "customers", "prices"):
        t = staff.get(f"/imports/template/{kind}", params={"format": "xlsx"})
        assert t.status_code == 200 and t.content[:2] == b"PK"


def wait_for_job(staff: Staff, resp: Any, timeout: float = 900) -> Any:
    """Wait for a background import to end, then open its page (a browser polls the page instead;
    on SQLite the import holds the only write lock, so requests wait while it runs)."""
    assert resp.status_code in (302, 303), resp.text[:500]
    location = resp.headers["location"]
    job_id = location.rsplit("/", 1)[-1]
    if os.environ.get("QUDAO_TEST_REDIS_URL"):
        from qudao.workers.broker import start_local_worker

        start_local_worker()
    from qudao.core.config import get_settings

    deadline = time.monotonic() + timeout
    while True:
        found = list((get_settings().var_dir / "imports").glob(f"*/{job_id}.json"))
        state = json.loads(found[0].read_text())["state"] if found else "queued"
        if state not in ("queued", "running"):
            break
        assert time.monotonic() < deadline, "the import job did not finish"
        time.sleep(0.5)
    page = staff.client.get(location)
    assert "Traceback" not in page.text
    assert re.search(r'data-state="(\w+)"', page.text).group(1) == state  # type: ignore[union-attr]
    return page


def test_ten_thousand_rows_in_background(staff: Staff) -> None:
    rows: list[list[Any]] = [["sku", "name", "price", "unit", "spec"]]
    rows += [[f"K{i:05d}", f"商品 {i}", f"{1 + i % 97}.{i % 100:02d}", "件", f"{i}g"] for i in range(10_000)]
    bad = [r[:] for r in rows]
    bad[5001][2] = "abc"  # row 5002
    bad[9000][0] = "no good"  # row 9001
    started = time.monotonic()
    data = xlsx(bad)
    assert len(data) > 256 * 1024  # large files go to the background job by themselves
    page = wait_for_job(staff, upload(staff, "products", "big.xlsx", data, follow=False))
    assert page.status_code == 422
    text = text_of(page.text)
    assert "5002 price" in text and "9001 sku" in text and "Nothing was imported" in text
    assert staff.api.ok("get", "/products?limit=1")["total"] == 0
    page = wait_for_job(staff, upload(staff, "products", "big.xlsx", xlsx(rows), follow=False))
    elapsed = time.monotonic() - started
    assert page.status_code == 200, text_of(page.text)[:1000]
    assert "10000 new" in text_of(page.text)
    assert staff.api.ok("get", "/products?limit=1")["total"] == 10_000
    assert staff.api.ok("get", "/products/K09999")["spec"] == "9999g"
    print(f"two 10,000-row imports took {elapsed:.1f}s")


def test_small_file_in_background_and_job_ids(staff: Staff) -> None:
    rows = [["sku", "name", "price"], ["J-1", "Job", "3.00"]]
    page = wait_for_job(staff, upload(staff, "products", "j.csv", csv_bytes(rows), follow=False, background="true"))
    assert page.status_code == 200 and "1 new" in text_of(page.text)
    assert staff.get("/imports/jobs/" + "0" * 32).status_code == 404
    assert staff.get("/imports/jobs/../../etc").status_code == 404
