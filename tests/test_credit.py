"""The credit plugin through the API: contract semantics to the cent, bad input, pages."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from qudao.core.asyncutil import run_sync
from tests.conftest import TenantAPI, signup


def setup_shop(t: TenantAPI, *, price: str = "12.34", on_hand: int = 10_000) -> None:
    t.ok("put", "/products/SKU-1", {"name": "Tea", "price": price})
    t.ok("put", "/warehouses/WH1", {"name": "Main"})
    t.ok("put", "/warehouses/WH1/stock/SKU-1", {"on_hand": on_hand})


def enable(t: TenantAPI, **settings: Any) -> None:
    body: dict[str, Any] = {"enabled": True}
    if settings:
        body["settings"] = settings
    t.ok("put", "/plugins/credit", body)


def order(buyer: TenantAPI, qty: int) -> Any:
    return buyer.post("/orders", json={"lines": [{"sku": "SKU-1", "qty": qty}]})


def credit(t: TenantAPI, code: str = "C1") -> dict[str, Any]:
    body = t.ok("get", f"/credit/{code}")
    return {k: body[k] for k in ("limit", "used", "available")}


def codes(problem_or_quote: dict[str, Any]) -> list[str]:
    return [v["code"] for v in problem_or_quote.get("violations", [])]


# --- enablement ------------------------------------------------------------------


def test_everything_is_404_while_the_plugin_is_off(tenant: TenantAPI) -> None:
    tenant.ok("put", "/customers/C1", {"name": "C1"})
    assert tenant.put("/credit/C1", json={"limit": "100.00"}).status_code == 404
    assert tenant.get("/credit/C1").status_code == 404
    assert tenant.get("/credit").status_code == 404
    assert tenant.post("/credit/C1/payments", json={"amount": "1.00"}).status_code == 404
    page = tenant.client.get(f"/t/{tenant.slug}/admin/credit", headers=tenant.headers)
    assert page.status_code == 404
    enable(tenant)
    assert tenant.put("/credit/C1", json={"limit": "100.00"}).status_code == 201
    assert tenant.get("/credit/C1").status_code == 200
    tenant.ok("put", "/plugins/credit", {"enabled": False})
    assert tenant.get("/credit/C1").status_code == 404


def test_credit_off_means_no_limit_and_no_hold(tenant: TenantAPI) -> None:
    setup_shop(tenant)
    buyer = tenant.buyer("C1")
    enable(tenant)
    tenant.ok("put", "/credit/C1", {"limit": "10.00"})
    tenant.ok("put", "/plugins/credit", {"enabled": False})
    assert order(buyer, 5).status_code == 201  # 61.70 > 10.00, but credit is off
    enable(tenant)
    assert credit(tenant) == {"limit": "10.00", "used": "0.00", "available": "10.00"}


def test_hooks_run_inside_the_order_transaction(tenant: TenantAPI) -> None:
    """The credit hooks are ``async def`` (they use ``ctx.session``); core must await hook results."""
    setup_shop(tenant, price="10.00")
    enable(tenant)
    buyer = tenant.buyer("C1")
    tenant.ok("put", "/credit/C1", {"limit": "10.00"})
    quote = buyer.ok("post", "/cart/quote", {"lines": [{"sku": "SKU-1", "qty": 2}]})
    assert codes(quote) == ["credit_limit_exceeded"], "core must await async hookimpls (qudao_validate_cart)"
    assert order(buyer, 1).status_code == 201
    assert credit(tenant)["used"] == "10.00", "core must await async hookimpls (qudao_order_placed)"


# --- the credit line ---------------------------------------------------------------


def test_put_is_an_upsert_and_get_answers_decimal_strings(tenant: TenantAPI) -> None:
    enable(tenant)
    tenant.ok("put", "/customers/C1", {"name": "C1"})
    resp = tenant.put("/credit/C1", json={"limit": "1000", "terms_days": 45})
    assert resp.status_code == 201, resp.text
    assert resp.json()["limit"] == "1000.00" and resp.json()["terms_days"] == 45
    assert credit(tenant) == {"limit": "1000.00", "used": "0.00", "available": "1000.00"}
    resp = tenant.put("/credit/C1", json={"limit": 2500})
    assert resp.status_code == 200
    body = tenant.ok("get", "/credit/C1")
    assert (body["limit"], body["used"], body["available"], body["terms_days"]) == ("2500.00", "0.00", "2500.00", 45)
    assert tenant.put("/credit/C1", json={"limit": "0.10", "terms_days": None}).status_code == 200
    body = tenant.ok("get", "/credit/C1")
    assert (body["limit"], body["terms_days"]) == ("0.10", None)
    assert [row["customer"] for row in tenant.ok("get", "/credit")] == ["C1"]


def test_unknown_customer_is_404(tenant: TenantAPI) -> None:
    enable(tenant)
    assert tenant.put("/credit/NOPE", json={"limit": "1.00"}).status_code == 404
    assert tenant.get("/credit/NOPE").status_code == 404
    assert tenant.post("/credit/NOPE/payments", json={"amount": "1.00"}).status_code == 404
    tenant.ok("put", "/customers/C2", {"name": "C2"})
    assert tenant.get("/credit/C2").status_code == 404  # a customer without a credit line


@pytest.mark.parametrize("body,field", [
    ({"limit": "-1"}, "limit"),
    ({"limit": "-0.01"}, "limit"),
    ({"limit": "abc"}, "limit"),
    ({"limit": "1.001"}, "limit"),
    ({"limit": "NaN"}, "limit"),
    ({"limit": "Infinity"}, "limit"),
    ({"limit": True}, "limit"),
    ({"limit": None}, "limit"),
    ({"limit": {"x": 1}}, "limit"),
    ({}, "limit"),
    ({"limit": "1e20"}, "limit"),
    ({"limit": "10", "terms_days": -1}, "terms_days"),
    ({"limit": "10", "terms_days": 1.5}, "terms_days"),
    ({"limit": "10", "terms_days": "soon"}, "terms_days"),
    ({"limit": "10", "terms_days": 100000}, "terms_days"),
    ({"limit": "10", "valid_from": "2030-13-01"}, "valid_from"),
    ({"limit": "10", "valid_from": "2030-02-01", "valid_until": "2030-01-01"}, "valid_until"),
    ({"limit": "10", "block_when_overdue": "maybe"}, "block_when_overdue"),
    ({"limit": "10", "note": 5}, "note"),
])
def test_bad_credit_line_is_422_and_stores_nothing(tenant: TenantAPI, body: dict[str, Any], field: str) -> None:
    enable(tenant)
    tenant.ok("put", "/customers/C1", {"name": "C1"})
    resp = tenant.put("/credit/C1", json=body)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in resp.json()["errors"]]
    assert tenant.get("/credit/C1").status_code == 404
    tenant.ok("put", "/credit/C1", {"limit": "50.00", "terms_days": 10})
    assert tenant.put("/credit/C1", json=body).status_code == 422
    assert tenant.ok("get", "/credit/C1")["limit"] == "50.00"


def test_garbage_bodies_never_500(tenant: TenantAPI) -> None:
    enable(tenant)
    tenant.ok("put", "/customers/C1", {"name": "C1"})
    tenant.ok("put", "/credit/C1", {"limit": "5"})
    for path in ("/credit/C1", "/credit/C1/payments", "/credit/C1/adjustments"):
        method = tenant.client.put if path == "/credit/C1" else tenant.client.post
        for raw in [b"", b"not json", b"[]", b"null", b'{"limit": [1]}', b'{"amount": {"a": 1}}']:
            resp = method(tenant.url(path), content=raw,
                          headers={**tenant.headers, "content-type": "application/json"})
            assert resp.status_code in (400, 422), (path, raw, resp.status_code, resp.text)


def test_who_may_read_and_write(tenant: TenantAPI, other_tenant: TenantAPI) -> None:
    enable(tenant)
    c1 = tenant.buyer("C1")
    c2 = tenant.buyer("C2")
    tenant.ok("put", "/credit/C1", {"limit": "100.00"})
    tenant.ok("put", "/credit/C2", {"limit": "200.00"})
    assert credit(c1) == {"limit": "100.00", "used": "0.00", "available": "100.00"}
    assert c1.get("/credit/C2").status_code == 404  # another customer's line does not exist for a buyer
    assert c1.get("/credit/C2/ledger").status_code == 404
    assert c1.get("/credit").status_code == 403
    assert c1.put("/credit/C1", json={"limit": "9999.00"}).status_code == 403
    assert c1.post("/credit/C1/payments", json={"amount": "1.00"}).status_code == 403
    assert c2.ok("get", "/credit/C2")["limit"] == "200.00"
    anonymous = tenant.client.get(tenant.url("/credit/C1"))
    assert anonymous.status_code == 401
    # another tenant's token on this tenant's path: 404
    enable(other_tenant)
    stray = tenant.client.get(tenant.url("/credit/C1"), headers=other_tenant.headers)
    assert stray.status_code == 404
    assert other_tenant.get("/credit/C1").status_code == 404
    assert tenant.ok("get", "/credit/C1")["limit"] == "100.00"


# --- orders use credit ------------------------------------------------------------


def test_orders_use_credit_to_the_cent(tenant: TenantAPI) -> None:
    setup_shop(tenant)  # 12.34 a unit
    enable(tenant)
    buyer = tenant.buyer("C1")
    tenant.ok("put", "/credit/C1", {"limit": "100.00"})

    first = order(buyer, 5)  # 61.70
    assert first.status_code == 201, first.text
    assert credit(tenant) == {"limit": "100.00", "used": "61.70", "available": "38.30"}

    quote = buyer.ok("post", "/cart/quote", {"lines": [{"sku": "SKU-1", "qty": 4}]})  # 49.36 > 38.30
    assert codes(quote) == ["credit_limit_exceeded"]
    refused = order(buyer, 4)
    assert refused.status_code == 422
    assert codes(refused.json()) == ["credit_limit_exceeded"]
    message = refused.json()["violations"][0]["message"]
    assert "11.06" in message  # 61.70 + 49.36 - 100.00 to settle
    assert quote["violations"][0]["message"] == message  # quote and order agree
    assert credit(tenant)["used"] == "61.70"  # nothing held for the refused order
    assert tenant.ok("get", "/stock/SKU-1")[0]["reserved"] == 5  # and the refusal rolled back its stock

    quote = buyer.ok("post", "/cart/quote", {"lines": [{"sku": "SKU-1", "qty": 3}]})  # 37.02 <= 38.30
    assert quote["violations"] == []
    second = order(buyer, 3)
    assert second.status_code == 201
    assert credit(tenant) == {"limit": "100.00", "used": "98.72", "available": "1.28"}

    # rejected and cancelled orders give their credit back
    buyer.ok("post", f"/orders/{first.json()['number']}/status", {"status": "cancelled"})
    assert credit(tenant) == {"limit": "100.00", "used": "37.02", "available": "62.98"}
    tenant.ok("post", f"/orders/{second.json()['number']}/status", {"status": "rejected", "note": "no"})
    assert credit(tenant) == {"limit": "100.00", "used": "0.00", "available": "100.00"}

    # exactly up to the limit is allowed; a cent more is not
    tenant.ok("put", "/credit/C1", {"limit": "24.68"})
    assert order(buyer, 2).status_code == 201
    assert credit(tenant) == {"limit": "24.68", "used": "24.68", "available": "0.00"}
    tenant.ok("put", "/credit/C1", {"limit": "37.01"})
    refused = order(buyer, 1)
    assert refused.status_code == 422 and "0.01" in refused.json()["violations"][0]["message"]

    ledger = tenant.ok("get", "/credit/C1/ledger")
    kinds = [e["kind"] for e in reversed(ledger["entries"]) if e["kind"] != "limit"]
    assert kinds == ["charge", "charge", "release", "release", "charge"]
    assert [e["balance"] for e in reversed(ledger["entries"]) if e["kind"] != "limit"] == [
        "61.70", "98.72", "37.02", "0.00", "24.68"]


def test_order_that_moves_on_keeps_its_credit(tenant: TenantAPI) -> None:
    setup_shop(tenant, price="10.00")
    enable(tenant)
    buyer = tenant.buyer("C1")
    tenant.ok("put", "/credit/C1", {"limit": "100.00"})
    number = order(buyer, 3).json()["number"]
    for status in ["approved", "picking", "shipped", "delivered"]:
        tenant.ok("post", f"/orders/{number}/status", {"status": status})
    buyer.ok("post", f"/orders/{number}/status", {"status": "received"})
    assert credit(tenant)["used"] == "30.00"  # delivered is not paid


def test_customer_without_a_credit_line_is_not_restricted(tenant: TenantAPI) -> None:
    setup_shop(tenant)
    enable(tenant)
    buyer = tenant.buyer("C1")
    assert buyer.ok("post", "/cart/quote", {"lines": [{"sku": "SKU-1", "qty": 500}]})["violations"] == []
    assert order(buyer, 500).status_code == 201


def test_lowering_the_limit_below_used_is_allowed_and_blocks_new_orders(tenant: TenantAPI) -> None:
    setup_shop(tenant, price="10.00")
    enable(tenant)
    buyer = tenant.buyer("C1")
    tenant.ok("put", "/credit/C1", {"limit": "100.00"})
    assert order(buyer, 8).status_code == 201
    tenant.ok("put", "/credit/C1", {"limit": "50.00"})
    assert credit(tenant) == {"limit": "50.00", "used": "80.00", "available": "0.00"}
    refused = order(buyer, 1)
    assert refused.status_code == 422
    assert "40.00" in refused.json()["violations"][0]["message"]  # 80 + 10 - 50


def test_validity_period(tenant: TenantAPI) -> None:
    setup_shop(tenant, price="10.00")
    enable(tenant)
    buyer = tenant.buyer("C1")
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    tenant.ok("put", "/credit/C1", {"limit": "100.00", "valid_until": yesterday})
    body = tenant.ok("get", "/credit/C1")
    assert (body["active"], body["available"]) == (False, "0.00")
    refused = order(buyer, 1)
    assert codes(refused.json()) == ["credit_limit_exceeded"]
    tenant.ok("put", "/credit/C1", {"limit": "100.00", "valid_until": None,
                                    "valid_from": (date.today() - timedelta(days=1)).isoformat()})
    assert order(buyer, 1).status_code == 201


# --- repayments ---------------------------------------------------------------------


def test_repayments_free_credit(tenant: TenantAPI) -> None:
    setup_shop(tenant)
    enable(tenant)
    buyer = tenant.buyer("C1")
    tenant.ok("put", "/credit/C1", {"limit": "100.00", "terms_days": 30})
    n1 = order(buyer, 5).json()["number"]  # 61.70
    n2 = order(buyer, 3).json()["number"]  # 37.02
    assert credit(tenant)["used"] == "98.72"

    resp = tenant.post("/credit/C1/payments", json={"amount": "61.71", "reference": "BANK-1"})
    assert resp.status_code == 201, resp.text
    assert resp.json()["used"] == "37.01" and resp.json()["entry"]["amount"] == "-61.71"
    assert credit(tenant) == {"limit": "100.00", "used": "37.01", "available": "62.99"}
    ledger = tenant.ok("get", "/credit/C1/ledger")
    assert [(i["order"], i["outstanding"]) for i in ledger["items"]] == [(n2, "37.01")]  # oldest first
    tenant_today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert ledger["items"][0]["due_date"] == (tenant_today + timedelta(days=30)).isoformat()
    entry = ledger["entries"][0]
    assert (entry["kind"], entry["amount"], entry["balance"], entry["reference"]) == (
        "repayment", "-61.71", "37.01", "BANK-1")
    assert entry["by"].startswith("owner@") and n1 in entry["note"]

    # more than is owed, zero, negative, not a number: 422 and nothing stored
    for amount in ["37.02", "0", "0.00", "-5", "abc", "1.001", None, True, "NaN"]:
        resp = tenant.post("/credit/C1/payments", json={"amount": amount})
        assert resp.status_code == 422, (amount, resp.text)
        assert resp.json()["errors"][0]["field"] == "amount"
    assert tenant.post("/credit/C1/payments", json={}).status_code == 422
    assert credit(tenant)["used"] == "37.01"

    # cancelling a partly repaid order gives back only what it still holds
    buyer.ok("post", f"/orders/{n2}/status", {"status": "cancelled"})
    assert credit(tenant) == {"limit": "100.00", "used": "0.00", "available": "100.00"}
    assert tenant.post("/credit/C1/payments", json={"amount": "0.01"}).status_code == 422


def test_adjustments(tenant: TenantAPI) -> None:
    enable(tenant)
    tenant.ok("put", "/customers/C1", {"name": "C1"})
    tenant.ok("put", "/credit/C1", {"limit": "100.00"})
    resp = tenant.post("/credit/C1/adjustments", json={"amount": "150.00", "note": "opening balance"})
    assert resp.status_code == 201, resp.text
    assert credit(tenant) == {"limit": "100.00", "used": "150.00", "available": "0.00"}
    resp = tenant.post("/credit/C1/adjustments", json={"amount": "-20.50", "note": "goodwill"})
    assert resp.status_code == 201
    assert credit(tenant)["used"] == "129.50"
    assert tenant.post("/credit/C1/adjustments", json={"amount": "-200", "note": "x"}).status_code == 422
    assert tenant.post("/credit/C1/adjustments", json={"amount": "5"}).status_code == 422  # no note
    assert tenant.post("/credit/C1/adjustments", json={"amount": "0", "note": "x"}).status_code == 422
    assert credit(tenant)["used"] == "129.50"


# --- overdue --------------------------------------------------------------------------


def _age_items(test_settings: Any, slug: str, days: int) -> None:
    """Move every open item's due date into the past (time travel for the overdue rule)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def run() -> None:
        engine = create_async_engine(test_settings.database_url)
        async with engine.begin() as conn:
            tid = (await conn.execute(text("SELECT id FROM tenants WHERE slug = :s"), {"s": slug})).scalar_one()
            if conn.dialect.name == "postgresql":
                await conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tid)})
            await conn.execute(text("UPDATE credit_holds SET due_date = :d WHERE tenant_id = :t"),
                               {"d": date.today() - timedelta(days=days), "t": tid})
        await engine.dispose()

    run_sync(run())


def test_overdue_balance_blocks_new_orders_when_asked(tenant: TenantAPI, test_settings: Any) -> None:
    setup_shop(tenant, price="10.00")
    enable(tenant, block_overdue=True, default_terms_days=15)
    buyer = tenant.buyer("C1")
    tenant.ok("put", "/credit/C1", {"limit": "100.00"})
    number = order(buyer, 2).json()["number"]
    ledger = tenant.ok("get", "/credit/C1/ledger")
    assert ledger["items"][0]["order"] == number and ledger["items"][0]["due_date"] is not None
    assert order(buyer, 1).status_code == 201
    _age_items(test_settings, tenant.slug, 3)
    body = tenant.ok("get", "/credit/C1")
    assert (body["overdue"], body["blocked"]) == ("30.00", True)
    quote = buyer.ok("post", "/cart/quote", {"lines": [{"sku": "SKU-1", "qty": 1}]})
    assert codes(quote) == ["credit_overdue"]
    assert codes(order(buyer, 1).json()) == ["credit_overdue"]
    # this customer is exempt from the rule
    tenant.ok("put", "/credit/C1", {"limit": "100.00", "block_when_overdue": False})
    assert order(buyer, 1).status_code == 201
    tenant.ok("put", "/credit/C1", {"limit": "100.00", "block_when_overdue": None})
    assert order(buyer, 1).status_code == 422
    tenant.ok("post", "/credit/C1/payments", {"amount": "30.00"})  # pays the overdue items (oldest first)
    assert tenant.ok("get", "/credit/C1")["overdue"] == "0.00"
    assert order(buyer, 1).status_code == 201


# --- pages ---------------------------------------------------------------------------


def _csrf(t: TenantAPI) -> str:
    t.client.get(f"/t/{t.slug}/login")
    token = t.client.cookies.get("qd_csrf")
    assert token
    return token


def test_admin_pages(tenant: TenantAPI) -> None:
    setup_shop(tenant, price="10.00")
    enable(tenant)
    buyer = tenant.buyer("C1", name="Store One")
    base = f"/t/{tenant.slug}"
    page = tenant.client.get(f"{base}/admin/credit", headers=tenant.headers)
    assert page.status_code == 200 and "credit-line-form" in page.text and "_csrf_token" in page.text
    token = _csrf(tenant)
    post_headers = {**tenant.headers, "x-csrftoken": token}
    resp = tenant.client.post(f"{base}/admin/credit", headers=post_headers, follow_redirects=False,
                              data={"customer": "C1", "limit": "-5", "_csrf_token": token})
    assert resp.status_code == 422 and "limit" in resp.text
    assert tenant.get("/credit/C1").status_code == 404
    resp = tenant.client.post(f"{base}/admin/credit", headers=post_headers, follow_redirects=False,
                              data={"customer": "C1", "limit": "80", "terms_days": "", "_csrf_token": token})
    assert resp.status_code in (302, 303), resp.text
    assert credit(tenant)["limit"] == "80.00"
    order(buyer, 3)
    detail = tenant.client.get(f"{base}/admin/credit/C1", headers=tenant.headers)
    assert detail.status_code == 200 and "30.00" in detail.text and "Store One" in detail.text
    resp = tenant.client.post(f"{base}/admin/credit/C1/payments", headers=post_headers, follow_redirects=False,
                              data={"amount": "12.50", "reference": "slip 7", "_csrf_token": token})
    assert resp.status_code in (302, 303)
    assert credit(tenant)["used"] == "17.50"
    resp = tenant.client.post(f"{base}/admin/credit/C1/payments", headers=post_headers,
                              data={"amount": "99", "_csrf_token": token})
    assert resp.status_code == 422 and "17.50" in resp.text
    resp = tenant.client.post(f"{base}/admin/credit/C1/adjustments", headers=post_headers, follow_redirects=False,
                              data={"amount": "2.50", "note": "fee", "_csrf_token": token})
    assert resp.status_code in (302, 303)
    resp = tenant.client.post(f"{base}/admin/credit/C1", headers=post_headers, follow_redirects=False,
                              data={"limit": "90", "terms_days": "20", "block_when_overdue": "true",
                                    "_csrf_token": token})
    assert resp.status_code in (302, 303)
    body = tenant.ok("get", "/credit/C1")
    assert (body["limit"], body["used"], body["terms_days"], body["block_when_overdue"]) == (
        "90.00", "20.00", 20, True)
    detail = tenant.client.get(f"{base}/admin/credit/C1?done=saved", headers=tenant.headers)
    assert "slip 7" in detail.text and "fee" in detail.text
    # the buyer's own page, and the admin page is not for buyers
    mine = buyer.client.get(f"{base}/credit", headers=buyer.headers)
    assert mine.status_code == 200 and "20.00" in mine.text and "70.00" in mine.text
    assert buyer.client.get(f"{base}/admin/credit", headers=buyer.headers).status_code == 403
    menu = tenant.client.get(f"{base}/admin/credit", headers=tenant.headers).text
    assert f"{base}/admin/credit" in menu


def test_other_tenant_cannot_touch_credit(tenant: TenantAPI, client: Any) -> None:
    enable(tenant)
    tenant.ok("put", "/customers/C1", {"name": "C1"})
    tenant.ok("put", "/credit/C1", {"limit": "10.00"})
    other = signup(client)
    enable(other)
    other.ok("put", "/customers/C1", {"name": "C1 elsewhere"})
    assert other.get("/credit/C1").status_code == 404
    other.ok("put", "/credit/C1", {"limit": "99.00"})
    assert credit(tenant)["limit"] == "10.00"
    assert credit(other, "C1")["limit"] == "99.00"


# --- paid orders ------------------------------------------------------------------------


def _mark_paid(test_settings: Any, slug: str, number: str) -> None:
    """What the payments side does when an order becomes fully paid: the hook in its transaction."""
    from sqlalchemy import select

    from qudao.core.db.session import Database, bind_tenant
    from qudao.core.orders.models import Order
    from qudao.core.plugins.context import TenantContext
    from qudao.core.plugins.host import gather_hook, get_host
    from qudao.tenants.models import Tenant

    async def run() -> None:
        db = Database(test_settings.database_url)
        async with db.session() as session:
            tenant = await session.scalar(select(Tenant).where(Tenant.slug == slug))
            await bind_tenant(session, tenant.id)
            host = get_host()
            ctx = TenantContext(tenant=tenant, session=session, hooks=host.hooks_for(frozenset({"credit"})),
                                plugin_settings={"credit": host.metas["credit"].defaults()})
            found = await session.scalar(select(Order).where(Order.number == number))
            await gather_hook(ctx.hooks.qudao_order_paid, ctx=ctx, order=found)
            await session.commit()
        await db.dispose()

    run_sync(run())


def test_paid_orders_settle_their_credit_once(tenant: TenantAPI, test_settings: Any) -> None:
    setup_shop(tenant, price="10.00")
    enable(tenant)
    buyer = tenant.buyer("C1")
    tenant.ok("put", "/credit/C1", {"limit": "100.00"})
    n1 = order(buyer, 3).json()["number"]
    n2 = order(buyer, 5).json()["number"]
    tenant.ok("post", "/credit/C1/payments", {"amount": "10.00"})  # applied to n1 (oldest) first
    assert credit(tenant)["used"] == "70.00"
    _mark_paid(test_settings, tenant.slug, n1)
    assert credit(tenant) == {"limit": "100.00", "used": "50.00", "available": "50.00"}  # 20.00 still held by n1
    _mark_paid(test_settings, tenant.slug, n1)  # a repeated event changes nothing
    assert credit(tenant)["used"] == "50.00"
    buyer.ok("post", f"/orders/{n1}/status", {"status": "cancelled"})  # nothing left to release
    assert credit(tenant)["used"] == "50.00"
    _mark_paid(test_settings, tenant.slug, n2)
    assert credit(tenant)["used"] == "0.00"
    ledger = tenant.ok("get", "/credit/C1/ledger")
    assert ledger["items"] == []
    settles = [(e["order"], e["amount"]) for e in ledger["entries"] if e["kind"] == "settle"]
    assert sorted(settles) == sorted([(n1, "-20.00"), (n2, "-50.00")])
