# ruff: noqa: F811
"""Rebate pages: admin programs, closing and approving, accounts, reports with Excel; the buyer's
page, the storefront panel and "use my rebate" at checkout."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from tests.conftest import PASSWORD, TenantAPI
from tests.rebates_support import Clock, clock, order, program, receive, shop  # noqa: F401
from tests.test_storefront import Browser


def staff_browser(web: Any, t: TenantAPI) -> Browser:
    b = Browser(web, t.slug)
    b.login(f"owner@{t.slug}.test")
    return b


def test_admin_programs_close_approve_account_reports(web: Any, tenant: TenantAPI, clock: Clock) -> None:
    shop(tenant)
    s = staff_browser(web, tenant)
    page = s.get("/admin/rebates")
    assert page.status_code == 200 and 'id="rebate-program-form"' in page.text
    form = {"code": "Q", "name": "Quarterly", "basis": "amount", "period": "quarter", "method": "tiered",
            "tier_mode": "retroactive", "tiers": "1000:2, 1000:3", "valid_from": "2020-01-01",
            "max_deduct_percent": "10", "active": "1"}
    bad = s.post("/admin/rebates", form)
    assert bad.status_code == 422 and "overlaps" in bad.text
    assert tenant.ok("get", "/rebates/programs") == []
    ok = s.post("/admin/rebates", {**form, "tiers": "1000:2, 5000:3"})
    assert ok.status_code in (302, 303), ok.text[:500]
    assert tenant.ok("get", "/rebates/programs/Q")["tiers"] == [{"from": "1000.00", "percent": "2"},
                                                                {"from": "5000.00", "percent": "3"}]
    edit = s.post("/admin/rebates/programs/Q", {**form, "tiers": "1000:2, 5000:4"})
    assert edit.status_code in (302, 303)
    assert tenant.ok("get", "/rebates/programs/Q")["tiers"][1]["percent"] == "4"
    assert s.get("/admin/rebates/programs/NOPE").status_code == 404

    buyer = tenant.buyer("C1")
    clock.set("2026-08-01T03:00:00")
    receive(tenant, buyer, order(buyer, {"A": 6})["number"])  # 6,000.00 at 4 %
    other = tenant.buyer("C2")
    receive(tenant, other, order(other, {"A": 2})["number"])  # 2,000.00 at 2 %
    clock.set("2026-10-02T03:00:00")
    early = s.post("/admin/rebates/entries/close", {"program": "Q", "period": "2026-Q4"})
    assert early.status_code == 422 and "2026-12-31" in early.text
    closed = s.post("/admin/rebates/entries/close", {"program": "Q", "period": "2026-Q3"})
    assert closed.status_code in (302, 303)
    listing = s.get("/admin/rebates/entries?status=pending")
    assert "240.00" in listing.text
    entries = {e["customer"]: e for e in tenant.ok("get", "/rebates/entries?status=pending")}
    entry = entries["C1"]
    dash = s.get("/admin")
    assert "rebates/_panel_dashboard.html" in dash.text or "240.00" in dash.text
    no_reason = s.post("/admin/rebates/entries/decide", {"action": f"reject:{entry['id']}"})
    assert no_reason.status_code == 422
    approved = s.post("/admin/rebates/entries/decide", {"action": f"approve:{entry['id']}"})
    assert approved.status_code in (302, 303)
    assert tenant.ok("get", "/rebates/accounts/C1")["balance"] == "240.00"
    bulk = s.post("/admin/rebates/entries/decide", {"action": "bulk", "ids": [entries["C2"]["id"]]})
    assert bulk.status_code in (302, 303), bulk.text[:300]
    assert tenant.ok("get", "/rebates/accounts/C2")["balance"] == "40.00"
    account = s.get("/admin/rebates/accounts/C1")
    assert account.status_code == 200 and "240.00" in account.text
    too_much = s.post("/admin/rebates/accounts/C1/adjustments", {"amount": "-500", "reason": "typo"})
    assert too_much.status_code == 422 and tenant.ok("get", "/rebates/accounts/C1")["balance"] == "240.00"
    assert s.post("/admin/rebates/accounts/C1/adjustments", {"amount": "10", "reason": ""}).status_code == 422
    assert s.post("/admin/rebates/accounts/C1/adjustments",
                  {"amount": "-40.00", "reason": "goods returned"}).status_code in (302, 303)
    report = s.get("/admin/rebates/reports?by=customer")
    assert report.status_code == 200 and "C1" in report.text and "200.00" in report.text and "40.00" in report.text
    xlsx = s.get("/admin/rebates/reports.xlsx?by=program")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("program", "name", "basis") and rows[1][0] == "Q" and float(rows[1][3]) == 280.0
    api = tenant.ok("get", "/rebates/reports?by=period")
    assert api["rows"][0]["key"] == "2026-Q3" and api["rows"][0]["approved"] == "280.00"


def test_buyer_sees_progress_and_uses_rebate_at_checkout(web: Any, tenant: TenantAPI, clock: Clock,
                                                         test_settings: Any) -> None:
    from tests.test_rebates_concurrency import _set_cap

    shop(tenant)
    program(tenant, "Q")
    email = "c1-pages@buyer.test"
    tenant.ok("put", "/customers/C1", {"name": "Store One"})
    tenant.ok("put", f"/customers/C1/users/{email}", {"password": PASSWORD})
    buyer = tenant.as_user(email)
    clock.set("2026-11-03T03:00:00")
    receive(tenant, buyer, order(buyer, {"A": 312, "B": 2})["number"])  # 312,500.00
    tenant.ok("post", "/rebates/accounts/C1/adjustments", {"amount": "800.00", "reason": "Q3 rebate"}, status=201)
    _set_cap(test_settings, tenant.slug, 1000)
    b = Browser(web, tenant.slug)
    b.login(email)
    mine = b.get("/rebates")
    assert mine.status_code == 200 and "¥800.00" in mine.text
    assert "¥312,500.00" in mine.text and "¥500,000.00" in mine.text and "¥187,500.00" in mine.text
    home = b.get("/")
    assert "rebate-progress" in home.text and "¥187,500.00" in home.text
    assert b.post("/cart/add", {"sku": "A", "qty": "3"}).status_code in (200, 302, 303)
    plain = b.get("/checkout")
    assert 'id="use-rebate"' in plain.text and "¥300.00" in plain.text  # up to 10 % of 3,000.00
    ticked = b.get("/checkout?use_rebate=1")
    assert "-¥300.00" in ticked.text or "¥2700.00" in ticked.text or "¥2,700.00" in ticked.text
    assert 'form="checkout-form"' in ticked.text
    key = ticked.text.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
    placed = b.post("/checkout", {"idempotency_key": key, "address_choice": "new", "address_text": "上海市 1 号",
                                  "use_rebate": "1"})
    assert placed.status_code == 303, placed.text[:1000]
    number = placed.headers["location"].split("/orders/", 1)[1].split("?", 1)[0]
    view = buyer.ok("get", f"/orders/{number}")
    assert view["total"] == "2700.00" and [a["source"] for a in view["adjustments"]] == ["rebates"]
    assert buyer.ok("get", "/rebates/accounts/C1")["balance"] == "500.00"
