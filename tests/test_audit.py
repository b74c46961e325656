"""Audit log: staff changes to prices, stock, credit, staff roles and plugins are written with
who, when, before and after, in the change's own transaction; read by tenant admins on
/admin/audit and GET /audit, each tenant its own."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSWORD, TenantAPI, signup, web_login


def _audit(t: TenantAPI, **query: str) -> list[dict[str, Any]]:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return t.ok("get", f"/audit?{qs}")["items"]


def test_price_stock_role_and_plugin_changes_are_audited(tenant: TenantAPI, other_tenant: TenantAPI) -> None:
    owner = f"owner@{tenant.slug}.test"
    tenant.ok("put", "/products/AUD-1", {"name": "Audited tea", "price": "10.00"})
    tenant.ok("put", "/products/AUD-1", {"name": "Audited tea", "price": "12.50"})
    tenant.ok("put", "/tiers/GOLD", {"name": "Gold"})
    tenant.ok("put", "/prices/tier/GOLD/AUD-1", {"price": "11.00"})
    tenant.ok("put", "/customers/C-AUD", {"name": "Audit customer", "tier": "GOLD"})
    tenant.ok("put", "/prices/customer/C-AUD/AUD-1", {"price": "10.80"})
    tenant.ok("put", "/warehouses/W1", {"name": "Main"})
    tenant.ok("put", "/warehouses/W1/stock/AUD-1", {"on_hand": 40})
    tenant.ok("put", "/warehouses/W1/stock/AUD-1", {"on_hand": 35})
    tenant.ok("put", f"/staff/clerk@{tenant.slug}.test", {"role": "order_clerk", "password": PASSWORD})
    tenant.ok("put", f"/staff/clerk@{tenant.slug}.test", {"role": "finance"})
    tenant.ok("put", "/plugins/credit", {"enabled": True})

    base = _audit(tenant, action="price.base", target="AUD-1")
    assert [(e["before"], e["after"]) for e in base] == [({"price": "10.00"}, {"price": "12.50"}),
                                                         ({"price": None}, {"price": "10.00"})]
    assert base[0]["user"] == owner and base[0]["at"]
    assert _audit(tenant, action="price.tier")[0] | {"at": ""} == {
        "at": "", "user": owner, "action": "price.tier", "target": "GOLD/AUD-1",
        "before": {"price": None}, "after": {"price": "11.00"}}
    assert _audit(tenant, action="price.customer")[0]["target"] == "C-AUD/AUD-1"
    stock = _audit(tenant, action="stock")
    assert [(e["target"], e["before"]["on_hand"], e["after"]["on_hand"]) for e in stock] == [
        ("W1/AUD-1", 40, 35), ("W1/AUD-1", 0, 40)]
    role = _audit(tenant, action="staff.role")
    assert [(e["before"], e["after"]) for e in role] == [
        ({"role": "order_clerk", "active": True}, {"role": "finance", "active": True}),
        (None, {"role": "order_clerk", "active": True})]
    plugin = _audit(tenant, action="plugin")[0]
    assert plugin["target"] == "credit" and plugin["before"]["enabled"] is False and plugin["after"]["enabled"] is True

    # per tenant: the other brand sees none of it
    assert other_tenant.ok("get", "/audit")["total"] == 0


def test_credit_limit_and_repayment_are_audited(tenant: TenantAPI) -> None:
    tenant.ok("put", "/plugins/credit", {"enabled": True})
    tenant.ok("put", "/products/CR-1", {"name": "Credit tea", "price": "100.00"})
    tenant.ok("put", "/warehouses/W1", {"name": "Main"})
    tenant.ok("put", "/warehouses/W1/stock/CR-1", {"on_hand": 50})
    buyer = tenant.buyer("C-CR", warehouse="W1")
    tenant.ok("put", "/credit/C-CR", {"limit": "1000.00"})
    tenant.ok("put", "/credit/C-CR", {"limit": "2000.00", "terms_days": 30})
    buyer.ok("post", "/orders", {"lines": [{"sku": "CR-1", "qty": 3}]})
    tenant.ok("post", "/credit/C-CR/payments", {"amount": "120.00"})
    limit = _audit(tenant, action="credit.limit", target="C-CR")
    assert [(e["before"], e["after"]) for e in limit] == [
        ({"limit": "1000.00", "terms_days": None}, {"limit": "2000.00", "terms_days": 30}),
        (None, {"limit": "1000.00", "terms_days": None})]
    [repaid] = _audit(tenant, action="credit.repayment")
    assert repaid["target"] == "C-CR" and repaid["before"]["used"] == "300.00"
    assert repaid["after"]["used"] == "180.00" and repaid["after"]["change"] == "-120.00"
    # an order taking credit is the buyer's, not a staff change
    assert {e["action"] for e in _audit(tenant, action="credit")} == {"credit.limit", "credit.repayment"}


def test_only_tenant_admins_read_the_audit_log(tenant: TenantAPI, client: Any) -> None:
    tenant.ok("put", f"/staff/clerk@{tenant.slug}.test", {"role": "order_clerk", "password": PASSWORD})
    clerk = tenant.as_user(f"clerk@{tenant.slug}.test")
    assert clerk.get("/audit").status_code == 403
    buyer = tenant.buyer("C-RO")
    assert buyer.get("/audit").status_code == 403
    assert client.get(tenant.url("/audit")).status_code == 401
    assert tenant.get("/audit?limit=0").status_code == 422


def test_audit_page_shows_a_price_change_with_before_and_after(web: Any, client: Any) -> None:
    t = signup(client)
    t.ok("put", "/products/PG-1", {"name": "Page tea", "price": "8.00"})
    t.ok("put", "/products/PG-1", {"name": "Page tea", "price": "9.60"})
    web_login(web, t.slug, f"owner@{t.slug}.test")
    resp = web.get(f"/t/{t.slug}/admin/audit?action=price&target=PG-1")
    assert resp.status_code == 200
    html = resp.text
    row = html[html.index('data-action="price.base"'):]
    row = row[:row.index("</tr>")]
    assert "owner@" in row and "PG-1" in row
    before, after = row.split('class="before"', 1)[1].split('class="after"', 1)
    assert "price: 8.00" in before and "price: 9.60" in after
    # linked from the admin menu
    assert f'/t/{t.slug}/admin/audit"' in web.get(f"/t/{t.slug}/admin").text
