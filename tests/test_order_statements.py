"""Hot paths issue a constant, small number of SQL statements (issue 16): placing an order with
promotions and credit on, and quoting a cart, cost the same for 1 and 10 lines; the tenant
binding is one statement; nothing is read back after the order commits."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import TenantAPI
from tests.test_pricing_statements import counting

# PostgreSQL, 10-line order with promotions and credit on (see bench/RESULTS.md for the list).
# SQLite has no binding statement but reads the tenant's config version on its own, bumps the
# order-number counter in the order's transaction (PostgreSQL takes blocks of numbers) and
# writes one INSERT per table where PostgreSQL writes one statement (core/db/rows.py).
MAX_ORDER_STATEMENTS = 10
SQLITE_EXTRA = 8


def shop(t: TenantAPI) -> TenantAPI:
    t.ok("put", "/warehouses/WH1", {"name": "WH"})
    for i in range(12):
        t.ok("put", f"/products/S{i:03d}", {"name": f"P{i}", "price": "10.00"})
        t.ok("put", f"/warehouses/WH1/stock/S{i:03d}", {"on_hand": 100000})
    buyer = t.buyer("B1", warehouse="WH1")
    t.ok("put", "/plugins/promotions", {"enabled": True})
    t.ok("put", "/plugins/credit", {"enabled": True})
    t.ok("put", "/credit/B1", {"limit": "100000000.00"})
    t.ok("put", "/promotions/TH", {"kind": "threshold_amount_off", "threshold": "15.00", "amount": "5.00"})
    return buyer


def body(lines: int) -> dict[str, Any]:
    return {"lines": [{"sku": f"S{i:03d}", "qty": 2} for i in range(lines)]}


def order_statements(buyer: TenantAPI, lines: int) -> list[str]:
    with counting() as seen:
        resp = buyer.post("/orders", json=body(lines), headers={"Idempotency-Key": uuid.uuid4().hex})
    assert resp.status_code == 201, resp.text
    assert resp.json()["adjustments"] and len(resp.json()["lines"]) == lines
    return [s for s in seen if s != "BEGIN IMMEDIATE" and not background(s)]  # SQLite's own BEGIN


def background(statement: str) -> bool:
    """The in-process outbox relay's own work, which may run while the order is counted."""
    return "job_outbox" in statement and not statement.lstrip().upper().startswith("INSERT")


def test_placing_an_order_costs_the_same_statements_for_1_and_10_lines(tenant: TenantAPI, on_postgres: bool) -> None:
    buyer = shop(tenant)
    order_statements(buyer, 3)  # warm: caches, the order-number block
    one, ten = order_statements(buyer, 1), order_statements(buyer, 10)
    assert len(one) == len(ten), (one, ten)
    assert len(ten) <= MAX_ORDER_STATEMENTS + (0 if on_postgres else SQLITE_EXTRA), ten
    # nothing read back after the commit, no tenant lookup, no plugin states, no second binding
    assert not any("tenants.slug" in s for s in ten), ten
    assert not any("tenant_plugins" in s for s in ten), ten
    assert not any("FROM order_lines" in s or "FROM order_events" in s for s in ten), ten
    if on_postgres:
        assert sum("set_config" in s for s in ten) == 1, ten
        assert not any("SET LOCAL ROLE" in s for s in ten), ten


def test_quote_costs_the_same_statements_for_1_and_10_lines(tenant: TenantAPI) -> None:
    buyer = shop(tenant)
    buyer.ok("post", "/cart/quote", body(3))

    def quote(lines: int) -> int:
        with counting() as seen:
            buyer.ok("post", "/cart/quote", body(lines))
        return len([s for s in seen if not background(s)])

    assert quote(1) == quote(10)


def test_replayed_key_returns_the_first_order_even_when_a_replay_would_be_refused(tenant: TenantAPI) -> None:
    """Idempotency is checked when an attempt cannot go through: here the first order took the
    last stock and all the credit, so the replay alone would be refused twice over."""
    tenant.ok("put", "/warehouses/WH1", {"name": "WH"})
    tenant.ok("put", "/products/ONE", {"name": "Last one", "price": "10.00"})
    tenant.ok("put", "/warehouses/WH1/stock/ONE", {"on_hand": 1})
    buyer = tenant.buyer("B1", warehouse="WH1")
    tenant.ok("put", "/plugins/credit", {"enabled": True})
    tenant.ok("put", "/credit/B1", {"limit": "10.00"})
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = buyer.post("/orders", json={"lines": [{"sku": "ONE", "qty": 1}]}, headers=key)
    assert first.status_code == 201, first.text
    again = buyer.post("/orders", json={"lines": [{"sku": "ONE", "qty": 1}]}, headers=key)
    assert again.status_code == 200 and again.json()["number"] == first.json()["number"]
    other = buyer.post("/orders", json={"lines": [{"sku": "ONE", "qty": 1}]},
                       headers={"Idempotency-Key": uuid.uuid4().hex})
    assert other.status_code == 422
    assert tenant.ok("get", "/stock/ONE")[0]["reserved"] == 1


def test_an_order_does_not_write_a_promotion_without_a_limit(tenant: TenantAPI) -> None:
    """Every order of a running sale would otherwise wait on that promotion's one row for the
    order before it to commit (bench/RESULTS.md, session 8); its uses are its redemptions."""
    buyer = shop(tenant)
    order_statements(buyer, 3)
    ten = order_statements(buyer, 10)
    assert not any(s.lstrip().upper().startswith("UPDATE PROMOTIONS_PROMOTIONS") for s in ten), ten
    assert tenant.ok("get", "/promotions/TH")["used"] == 2
