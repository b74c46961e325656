"""Sales targets: attainment per counting rule, rep scoping, bad input, import, copy, report."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import PASSWORD, TenantAPI, web_login


def this_month() -> str:
    now = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    return f"{now.year}-{now.month:02d}"


def shop(t: TenantAPI) -> dict[str, TenantAPI]:
    t.ok("put", "/plugins/sales_targets", {"enabled": True})
    t.ok("put", "/brands/B1", {"name": "Brand one"})
    t.ok("put", "/products/P1", {"name": "P1", "price": "10.00", "brand": "B1"})
    t.ok("put", "/products/P2", {"name": "P2", "price": "2.50"})
    t.ok("put", "/warehouses/W", {"name": "W"})
    t.ok("put", "/warehouses/W/stock/P1", {"on_hand": 1000})
    t.ok("put", "/warehouses/W/stock/P2", {"on_hand": 1000})
    t.ok("put", "/staff/rep1@x.test", {"role": "sales_rep", "password": PASSWORD})
    t.ok("put", "/staff/rep2@x.test", {"role": "sales_rep", "password": PASSWORD})
    a = t.buyer("A", region="华东/上海", sales_rep="rep1@x.test")
    b = t.buyer("B", region="华北/北京", sales_rep="rep2@x.test")
    return {"A": a, "B": b}


def order(buyer: TenantAPI, *lines: tuple[str, int]) -> str:
    return buyer.ok("post", "/orders", {"lines": [{"sku": s, "qty": q} for s, q in lines]})["number"]


def move(t: TenantAPI, number: str, *statuses: str) -> None:
    for status in statuses:
        t.ok("post", f"/orders/{number}/status", {"status": status})


def history(t: TenantAPI, buyers: dict[str, TenantAPI]) -> None:
    """A: 35.00 submitted, 10.00 approved, 10.00 received, 50.00 cancelled; B: 20.00 approved."""
    a, b = buyers["A"], buyers["B"]
    order(a, ("P1", 3), ("P2", 2))
    move(t, order(a, ("P1", 1)), "approved")
    received = order(a, ("P2", 4))
    move(t, received, "approved", "picking", "shipped", "delivered")
    a.ok("post", f"/orders/{received}/status", {"status": "received"})
    cancelled = order(a, ("P1", 5))
    a.ok("post", f"/orders/{cancelled}/status", {"status": "cancelled"})
    move(t, order(b, ("P1", 2)), "approved")


def target(t: TenantAPI, **body: Any) -> dict[str, Any]:
    return t.ok("post", "/sales-targets", {"period": this_month(), **body}, status=201)


def test_attainment_for_each_counting_rule(tenant: TenantAPI) -> None:
    buyers = shop(tenant)
    history(tenant, buyers)
    placed = target(tenant, target="100.00")
    approved = target(tenant, rule="approved", target="80.00", measure="amount", scope="brand", scope_value="B1")
    received = target(tenant, dimension="customer", key="A", rule="received", measure="qty", target=8)
    region = target(tenant, dimension="region", key="华东", target="110.00")
    region_qty = target(tenant, dimension="region", key="华东/上海", measure="qty", target=20)
    rep = target(tenant, dimension="sales_rep", key="rep1@x.test", rule="approved", target="40.00")
    store = target(tenant, dimension="customer_type", key="store", scope="skus", scope_value="P2", target="10.00")
    assert (placed["actual"], placed["percent"]) == ("75.00", "75.0")
    assert (approved["actual"], approved["percent"]) == ("30.00", "37.5")  # P1 lines of approved orders
    assert (received["actual"], received["percent"]) == ("4", "50.0")
    assert (region["actual"], region["percent"]) == ("55.00", "50.0")
    assert (region_qty["actual"], region_qty["target"]) == ("10", "20")
    assert rep["actual"] == "20.00"
    assert store["actual"] == "15.00"  # P2: 5.00 submitted + 10.00 received
    listing = tenant.ok("get", f"/sales-targets?period={this_month()}")
    assert {i["id"]: i["actual"] for i in listing["items"]}[placed["id"]] == "75.00"
    # a target that was already met shows more than 100 %, its bar stays full
    tenant.ok("patch", f"/sales-targets/{placed['id']}", {"target": "50.00"})
    again = tenant.ok("get", f"/sales-targets/{placed['id']}")
    assert (again["percent"], again["bar"]) == ("150.0", 100.0)


def test_a_rep_sees_only_their_customers_targets(tenant: TenantAPI, web: Any) -> None:
    buyers = shop(tenant)
    history(tenant, buyers)
    mine = target(tenant, dimension="customer", key="A", target="10.00")
    theirs = target(tenant, dimension="customer", key="B", target="10.00")
    own = target(tenant, dimension="sales_rep", key="rep1@x.test", target="10.00")
    other_rep = target(tenant, dimension="sales_rep", key="rep2@x.test", target="10.00")
    overall = target(tenant, target="10.00")
    rep = tenant.as_user("rep1@x.test")
    ids = {i["id"] for i in rep.ok("get", f"/sales-targets?period={this_month()}")["items"]}
    assert ids == {mine["id"], own["id"]}
    assert rep.get(f"/sales-targets/{theirs['id']}").status_code == 404
    assert rep.get(f"/sales-targets/{other_rep['id']}").status_code == 404
    assert rep.get(f"/sales-targets/{overall['id']}").status_code == 404
    assert rep.post("/sales-targets", json={"period": this_month(), "target": "1.00"}).status_code == 403
    ranked = rep.ok("get", f"/sales-targets/report?period={this_month()}")["items"]
    assert {r["id"] for r in ranked} == {mine["id"], own["id"]}
    # the rep's own page: only A
    web_login(web, tenant.slug, "rep1@x.test")
    page = web.get(f"/t/{tenant.slug}/admin/sales-targets?period={this_month()}")
    assert page.status_code == 200 and "<b>A</b>" in page.text and "<b>B</b>" not in page.text
    # the buyer sees its own target only
    mine_items = buyers["A"].ok("get", "/sales-targets/mine")["items"]
    assert [i["id"] for i in mine_items] == [mine["id"]]
    assert buyers["A"].get(f"/sales-targets?period={this_month()}").status_code == 403


def test_bad_targets_are_refused_and_nothing_is_stored(tenant: TenantAPI) -> None:
    shop(tenant)
    month = this_month()

    def refused(body: dict[str, Any], status: int = 422) -> dict[str, Any]:
        resp = tenant.post("/sales-targets", json={"period": month, **body})
        assert resp.status_code == status, resp.text
        return resp.json()

    assert refused({"dimension": "region", "key": "火星", "target": "1.00"})["errors"][0]["field"] == "key"
    assert refused({"dimension": "region", "key": "华东/上", "target": "1.00"})["errors"][0]["field"] == "key"
    assert refused({"dimension": "sales_rep", "key": "nobody@x.test", "target": "1.00"})["errors"][0]["field"] == "key"
    assert refused({"dimension": "sales_rep", "key": f"owner@{tenant.slug}.test", "target": "1"})["errors"]
    assert refused({"target": "-5.00"})["errors"] == [{"field": "target", "message": "must not be negative"}]
    assert refused({"target": "0"})["errors"][0]["field"] == "target"
    assert refused({"target": "1.001"})["errors"][0]["field"] == "target"
    assert refused({"measure": "qty", "target": "2.5"})["errors"][0]["field"] == "target"
    assert refused({"period": "2026-13", "target": "1"})["errors"][0]["field"] == "period"
    assert refused({"scope": "skus", "scope_value": "P1,NOPE", "target": "1"})["errors"][0]["field"] == "scope_value"
    assert refused({"scope": "brand", "scope_value": "NOPE", "target": "1"})["errors"][0]["field"] == "scope_value"
    assert refused({"rule": "shipped", "target": "1"})["errors"][0]["field"] == "rule"
    assert tenant.ok("get", f"/sales-targets?period={month}")["items"] == []
    target(tenant, dimension="region", key="华东", target="100.00")
    dup = refused({"dimension": "region", "key": "/华东/", "target": "5.00", "rule": "received"}, 409)
    assert "already exists" in dup["detail"]
    assert [i["target"] for i in tenant.ok("get", f"/sales-targets?period={month}")["items"]] == ["100.00"]


def test_copy_to_next_period_with_growth(tenant: TenantAPI) -> None:
    shop(tenant)
    tenant.ok("post", "/sales-targets", {"period": "2030-11", "target": "100.00"}, status=201)
    tenant.ok("post", "/sales-targets", {"period": "2030-11", "measure": "qty", "target": 15,
                                         "dimension": "customer", "key": "A"}, status=201)
    tenant.ok("post", "/sales-targets", {"period": "2030-12", "measure": "qty", "target": 99,
                                         "dimension": "customer", "key": "A"}, status=201)
    result = tenant.ok("post", "/sales-targets/copy", {"period": "2030-11", "growth_percent": "12.5"})
    assert result == {"period": "2030-12", "created": 1, "skipped": 1}
    dec = {i["measure"]: i["target"] for i in tenant.ok("get", "/sales-targets?period=2030-12")["items"]}
    assert dec == {"amount": "112.50", "qty": "99"}
    assert tenant.post("/sales-targets/copy", json={"period": "2030-11", "growth_percent": "-100"}).status_code == 422
    year = tenant.ok("post", "/sales-targets/copy", {"period": "2030-12", "growth_percent": "10"})
    assert year["period"] == "2031-01"
    assert {i["target"] for i in tenant.ok("get", "/sales-targets?period=2031-01")["items"]} == {"123.75", "109"}


def _sheet(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["period", "dimension", "key", "scope", "scope_value", "measure", "rule", "target"])
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_excel_import_with_row_errors_then_clean(tenant: TenantAPI, web: Any) -> None:
    shop(tenant)
    web_login(web, tenant.slug, f"owner@{tenant.slug}.test")
    csrf = web.cookies.get("qd_csrf")
    url = f"/t/{tenant.slug}/admin/sales-targets/import"
    bad = _sheet([["2030-01", "region", "华东", "all", None, "amount", "placed", 100],
                  ["2030-01", "region", "火星", "all", None, "amount", "placed", 100],
                  ["2030-01", "all", None, "all", None, "amount", "placed", -3],
                  ["2030-01", "region", "华东", "all", None, "amount", "approved", 5]])
    resp = web.post(url, data={"_csrf_token": csrf, "period": "2030-01"},
                    files={"file": ("t.xlsx", bad, "application/octet-stream")})
    assert resp.status_code == 422
    assert "row 3: key" in resp.text and "row 4: target" in resp.text and "the same target as row 2" in resp.text
    assert tenant.ok("get", "/sales-targets?period=2030-01")["items"] == []
    not_excel = web.post(url, data={"_csrf_token": csrf}, files={"file": ("t.xlsx", b"hello", "text/plain")})
    assert not_excel.status_code == 422
    good = _sheet([["2030-01", "region", "华东", "all", None, "amount", "placed", 100],
                   ["2030-Q1", "customer", "A", "brand", "B1", "qty", "received", 40],
                   ["2030", "sales_rep", "rep1@x.test", "skus", "P1, P2", "amount", "approved", "999.50"]])
    resp = web.post(url, data={"_csrf_token": csrf, "period": "2030-01"},
                    files={"file": ("t.xlsx", good, "application/octet-stream")}, follow_redirects=False)
    assert resp.status_code in (302, 303), resp.text[:500]
    assert [i["target"] for i in tenant.ok("get", "/sales-targets?period=2030-Q1")["items"]] == ["40"]
    year = tenant.ok("get", "/sales-targets?period=2030")["items"]
    assert year[0]["scope_value"] == ["P1", "P2"] and year[0]["target"] == "999.50"
    # importing again changes the values of the same targets instead of adding
    again = _sheet([["2030-01", "region", "华东", "all", None, "amount", "placed", 120]])
    web.post(url, data={"_csrf_token": csrf}, files={"file": ("t.xlsx", again, "application/octet-stream")})
    assert [i["target"] for i in tenant.ok("get", "/sales-targets?period=2030-01")["items"]] == ["120.00"]
    assert web.get(f"/t/{tenant.slug}/admin/sales-targets/template.xlsx").status_code == 200


def test_ranking_report_page_and_export(tenant: TenantAPI, web: Any) -> None:
    from openpyxl import load_workbook

    buyers = shop(tenant)
    history(tenant, buyers)
    target(tenant, dimension="customer", key="A", target="100.00")  # 55 %
    target(tenant, dimension="customer", key="B", target="10.00")   # 200 %
    target(tenant, dimension="region", key="华北", target="40.00")   # 50 %
    ranked = tenant.ok("get", f"/sales-targets/report?period={this_month()}")["items"]
    assert [(r["dimension"], r["key"], r["rank"], r["percent"]) for r in ranked] == [
        ("region", "华北", 1, "50.0"), ("customer", "B", 1, "200.0"), ("customer", "A", 2, "55.0")]
    assert tenant.get("/sales-targets/report?dimension=planet").status_code == 422
    web_login(web, tenant.slug, f"owner@{tenant.slug}.test")
    page = web.get(f"/t/{tenant.slug}/admin/sales-targets/report?period={this_month()}")
    assert page.status_code == 200 and "ranking-chart" in page.text and "/static/vendor/chart.umd.min.js" in page.text
    assert web.get("/static/vendor/chart.umd.min.js").status_code == 200
    assert web.get("/static/plugins/sales_targets/ranking.js").status_code == 200
    export = web.get(f"/t/{tenant.slug}/admin/sales-targets/report.xlsx?period={this_month()}&dimension=customer")
    ws = load_workbook(io.BytesIO(export.content)).active
    assert [row[2] for row in ws.iter_rows(min_row=2, values_only=True)] == ["B", "A"]
    grid = web.get(f"/t/{tenant.slug}/admin/sales-targets?period={this_month()}")
    assert grid.status_code == 200 and 'id="targets"' in grid.text
    dashboard = web.get(f"/t/{tenant.slug}/admin")
    assert 'data-panel="sales_targets/_panel.html"' in dashboard.text and "200.0%" in dashboard.text


def test_buyer_sees_own_target_on_the_storefront_home(tenant: TenantAPI, web: Any) -> None:
    buyers = shop(tenant)
    history(tenant, buyers)
    target(tenant, dimension="customer", key="A", target="110.00")
    target(tenant, dimension="customer", key="B", target="999.00")
    email = "a-home@buyer.test"
    tenant.ok("put", f"/customers/A/users/{email}", {"password": PASSWORD})
    web_login(web, tenant.slug, email)
    home = web.get(f"/t/{tenant.slug}/")
    assert 'data-panel="sales_targets/_panel.html"' in home.text
    assert "55.00 / 110.00" in home.text and "999.00" not in home.text


def test_off_means_404(tenant: TenantAPI) -> None:
    assert tenant.get("/sales-targets").status_code == 404
    assert tenant.client.get(f"/t/{tenant.slug}/admin/sales-targets", headers=tenant.headers).status_code == 404


def test_admin_grid_adds_changes_and_deletes_with_form_errors(tenant: TenantAPI, web: Any) -> None:
    shop(tenant)
    web_login(web, tenant.slug, f"owner@{tenant.slug}.test")
    csrf = web.cookies.get("qd_csrf")
    base = f"/t/{tenant.slug}/admin/sales-targets"
    bad = web.post(base, data={"_csrf_token": csrf, "period": "2030-05", "dimension": "sales_rep", "key": "x@x.test",
                               "measure": "amount", "rule": "placed", "target": "-1"})
    assert bad.status_code == 422 and "no sales rep" in bad.text and "must not be negative" in bad.text
    ok = web.post(base, data={"_csrf_token": csrf, "period": "2030-05", "dimension": "region", "key": "华东",
                              "scope": "all", "measure": "amount", "rule": "placed", "target": "500"},
                  follow_redirects=False)
    assert ok.status_code in (302, 303)
    dup = web.post(base, data={"_csrf_token": csrf, "period": "2030-05", "dimension": "region", "key": "华东",
                               "scope": "all", "measure": "amount", "rule": "approved", "target": "9"})
    assert dup.status_code == 409 and "already exists" in dup.text
    row = tenant.ok("get", "/sales-targets?period=2030-05")["items"][0]
    refused = web.post(f"{base}/grid", data={"_csrf_token": csrf, "period": "2030-05", f"target_{row['id']}": "abc"})
    assert refused.status_code == 422
    saved = web.post(f"{base}/grid", data={"_csrf_token": csrf, "period": "2030-05", f"target_{row['id']}": "650.5",
                                           f"rule_{row['id']}": "received"}, follow_redirects=False)
    assert saved.status_code in (302, 303)
    again = tenant.ok("get", f"/sales-targets/{row['id']}")
    assert (again["target"], again["rule"]) == ("650.50", "received")
    copied = web.post(f"{base}/copy", data={"_csrf_token": csrf, "period": "2030-05", "growth_percent": "x"})
    assert copied.status_code == 422
    web.post(f"{base}/{row['id']}/delete", data={"_csrf_token": csrf})
    assert tenant.ok("get", "/sales-targets?period=2030-05")["items"] == []
    rep_email = "rep1@x.test"
    web.cookies.clear()
    web_login(web, tenant.slug, rep_email)
    assert web.post(base, data={"_csrf_token": web.cookies.get("qd_csrf"), "period": "2030-05",
                                "target": "1"}).status_code == 403


def test_ids_out_of_range_are_404(tenant: TenantAPI) -> None:
    shop(tenant)
    for path in ("/sales-targets/99999999999999999999", "/sales-targets/0", "/channel-tasks/99999999999999999999"):
        tenant.ok("put", "/plugins/channel_tasks", {"enabled": True})
        assert tenant.get(path).status_code == 404, path
    resp = tenant.post("/channel-tasks/assignments/99999999999999999999/review", json={"decision": "accept"})
    assert resp.status_code == 404
