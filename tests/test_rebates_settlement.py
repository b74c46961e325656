# ruff: noqa: F811
"""Settlement and deduction to the cent: close twice = one set of entries; approve → balance →
deduction capped at the percentage; quote and order agree; restore on cancel; bad input."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.conftest import TenantAPI
from tests.rebates_support import Clock, clock, order, program, receive, shop  # noqa: F401


def quarter_of_orders(t: TenantAPI, clock: Clock, mode: str = "retroactive") -> TenantAPI:
    """C1 buys 1,200,000.00 in Q3 2026 (received over the quarter); C2 buys 312,400.00."""
    shop(t, prices={"A": "1000.00", "B": "100.00", "X": "10.00"})
    program(t, "Q", tier_mode=mode)
    c1, c2 = t.buyer("C1"), t.buyer("C2")
    for day, lines in [("2026-07-03", {"A": 400}), ("2026-08-15", {"A": 300, "B": 1000}),
                       ("2026-09-30", {"A": 400})]:
        clock.set(f"{day}T03:00:00")
        receive(t, c1, order(c1, lines)["number"])
    clock.set("2026-09-12T03:00:00")
    receive(t, c2, order(c2, {"A": 312, "B": 4})["number"])
    clock.set("2026-10-08T03:00:00")
    return c1


def close(t: TenantAPI, period: str = "2026-Q3", status: int = 201) -> dict[str, Any]:
    return t.ok("post", "/rebates/periods/close", {"program": "Q", "period": period}, status=status)


def test_retroactive_quarter_close_twice_gives_one_set(tenant: TenantAPI, clock: Clock) -> None:
    quarter_of_orders(tenant, clock)
    first = close(tenant)
    by_customer = {e["customer"]: e for e in first["entries"]}
    assert set(by_customer) == {"C1"}  # C2 (312,400.00) reached no tier: no entry
    e = by_customer["C1"]
    assert (e["basis"], e["amount"], e["status"]) == ("1200000.00", "36000.00", "pending")  # 3 % of all
    again = close(tenant, status=200)
    assert again["entries"] == first["entries"]
    assert len(tenant.ok("get", "/rebates/entries")) == 1
    assert tenant.ok("get", "/rebates/progress/C2")["programs"][0]["period"] == "2026-Q4"


def test_progressive_quarter(tenant: TenantAPI, clock: Clock) -> None:
    quarter_of_orders(tenant, clock, mode="progressive")
    [entry] = close(tenant)["entries"]
    assert entry["amount"] == "16000.00"  # 500,000 x 2 % + 200,000 x 3 %


def test_progress_sentence_mid_quarter(tenant: TenantAPI, clock: Clock) -> None:
    shop(tenant, prices={"A": "1000.00", "B": "100.00", "X": "10.00"})
    program(tenant, "Q")
    c2 = tenant.buyer("C2")
    clock.set("2026-09-12T03:00:00")
    receive(tenant, c2, order(c2, {"A": 312, "B": 4})["number"])
    [row] = c2.ok("get", "/rebates/progress/C2")["programs"]
    assert (row["amount"], row["next_tier"], row["to_next_tier"]) == ("312400.00", "500000.00", "187600.00")
    assert "312,400.00" in row["message"] and "187,600.00" in row["message"] and "500,000.00" in row["message"]


def test_closing_early_or_a_bad_period_is_refused(tenant: TenantAPI, clock: Clock) -> None:
    quarter_of_orders(tenant, clock)
    assert tenant.post("/rebates/periods/close", json={"program": "Q", "period": "2026-Q4"}).status_code == 409
    for bad in ["2026-13", "Q3", "", 2026, None]:
        resp = tenant.post("/rebates/periods/close", json={"program": "Q", "period": bad})
        assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "period", resp.text
    assert tenant.post("/rebates/periods/close", json={"program": "NOPE", "period": "2026-Q3"}).status_code == 404
    assert tenant.ok("get", "/rebates/entries") == []


def test_approve_balance_deduction_capped_and_restored(tenant: TenantAPI, clock: Clock) -> None:
    c1 = quarter_of_orders(tenant, clock)
    [entry] = close(tenant)["entries"]
    account = tenant.ok("get", "/rebates/accounts/C1")
    assert (account["balance"], account["pending"]) == ("0.00", "36000.00")
    approved = tenant.ok("post", f"/rebates/entries/{entry['id']}/approve", {})
    assert approved["status"] == "approved"
    again = tenant.post(f"/rebates/entries/{entry['id']}/approve", json={})
    assert again.status_code == 409  # approving twice
    account = c1.ok("get", "/rebates/accounts/C1")
    assert (account["balance"], account["pending"], account["max_deduct_percent"]) == ("36000.00", "0.00", "10")
    assert [(r["kind"], r["amount"], r["balance"]) for r in account["ledger"]] == [("approval", "36000.00", "36000.00")]

    # 12 x A = 12,000.00: at most 10 % = 1,200.00 may be paid with rebate
    body = {"lines": [{"sku": "A", "qty": 12}], "use_rebate": True}
    quote = c1.ok("post", "/cart/quote", body, status=200)
    rebate = [a for a in quote["adjustments"] if a["source"] == "rebates"]
    assert rebate and rebate[0]["amount"] == "-1200.00" and quote["total"] == "10800.00", quote
    assert c1.ok("post", "/cart/quote", {**body, "use_rebate": "500.00"}, status=200)["total"] == "11500.00"
    over_cap = c1.ok("post", "/cart/quote", {**body, "use_rebate": "1200.01"}, status=200)
    assert [v["code"] for v in over_cap["violations"]] == ["rebate_over_cap"]
    assert over_cap["total"] == "12000.00"
    placed = order(c1, {"A": 12}, use_rebate=True)
    assert (placed["total"], placed["discount"]) == (quote["total"], quote["discount"])  # quote and order agree
    assert c1.ok("get", "/rebates/accounts/C1")["balance"] == "34800.00"
    # a refused (over the cap) order changes nothing
    refused = c1.post("/orders", json={**body, "use_rebate": "5000.00"})
    assert refused.status_code == 422 and refused.json()["violations"][0]["code"] == "rebate_over_cap"
    assert c1.ok("get", "/rebates/accounts/C1")["balance"] == "34800.00"
    # cancelling gives it back, once
    c1.ok("post", f"/orders/{placed['number']}/status", {"status": "cancelled"})
    account = c1.ok("get", "/rebates/accounts/C1")
    assert account["balance"] == "36000.00"
    assert [r["kind"] for r in account["ledger"]] == ["restore", "deduction", "approval"]
    assert sum(Decimal(r["amount"]) for r in account["ledger"]) == Decimal(account["balance"])


def test_spending_more_than_the_balance_and_bad_amounts(tenant: TenantAPI, clock: Clock) -> None:
    shop(tenant)
    program(tenant, "Q", max_deduct_percent="100")
    buyer = tenant.buyer("C1")
    tenant.ok("post", "/rebates/accounts/C1/adjustments", {"amount": "30.00", "reason": "opening balance"}, status=201)
    body = {"lines": [{"sku": "X", "qty": 10}]}
    quote = buyer.ok("post", "/cart/quote", {**body, "use_rebate": "30.01"}, status=200)
    assert [v["code"] for v in quote["violations"]] == ["rebate_balance_insufficient"]
    for bad in ["abc", "-5.00", "1.001", {"x": 1}, 5]:
        quoted = buyer.ok("post", "/cart/quote", {**body, "use_rebate": bad}, status=200)
        assert [v["code"] for v in quoted["violations"]] == ["rebate_invalid"], (bad, quoted)
        resp = buyer.post("/orders", json={**body, "use_rebate": bad})
        assert resp.status_code == 422 and resp.json()["violations"][0]["code"] == "rebate_invalid", resp.text
    # without an approved program the account's cap is 0 %: nothing can be deducted yet
    assert buyer.ok("post", "/cart/quote", {**body, "use_rebate": True}, status=200)["total"] == "100.00"
    for bad_adj in [{"amount": "-31.00", "reason": "x"}, {"amount": "5.00"}, {"amount": 5.5, "reason": "x"},
                    {"amount": "0", "reason": "x"}]:
        assert tenant.post("/rebates/accounts/C1/adjustments", json=bad_adj).status_code == 422, bad_adj
    assert tenant.ok("get", "/rebates/accounts/C1")["balance"] == "30.00"


def test_reject_needs_a_reason_and_bulk_approve(tenant: TenantAPI, clock: Clock) -> None:
    shop(tenant, prices={"A": "1000.00", "B": "100.00", "X": "10.00"})
    program(tenant, "Q", tiers=[{"from": "0.00", "percent": "1"}])
    buyers = [tenant.buyer(c) for c in ("C1", "C2", "C3")]
    clock.set("2026-08-01T03:00:00")
    for b in buyers:
        receive(tenant, b, order(b, {"A": 1})["number"])
    clock.set("2026-10-02T03:00:00")
    entries = {e["customer"]: e for e in close(tenant)["entries"]}
    assert {e["amount"] for e in entries.values()} == {"10.00"}
    assert tenant.post(f"/rebates/entries/{entries['C1']['id']}/reject", json={}).status_code == 422
    tenant.ok("post", f"/rebates/entries/{entries['C1']['id']}/reject", {"reason": "returned goods"}, status=200)
    bad = tenant.post("/rebates/entries/approve", json={"ids": [entries["C2"]["id"], entries["C1"]["id"]]})
    assert bad.status_code == 409  # C1 is rejected: nothing approved
    assert tenant.ok("get", "/rebates/accounts/C2")["balance"] == "0.00"
    done = tenant.ok("post", "/rebates/entries/approve", {"ids": [entries["C2"]["id"], entries["C3"]["id"]]},
                     status=200)
    assert len(done["approved"]) == 2
    assert [e["customer"] for e in tenant.ok("get", "/rebates/entries?status=approved")] in (["C3", "C2"], ["C2", "C3"])
    assert tenant.get("/rebates/entries?status=weird").status_code == 422
    # a buyer can neither decide nor read another customer's account
    assert buyers[0].post(f"/rebates/entries/{entries['C2']['id']}/approve", json={}).status_code == 403
    assert buyers[0].get("/rebates/accounts/C2").status_code == 404
    assert tenant.post("/rebates/entries/12345/approve", json={}).status_code == 404
    assert tenant.post("/rebates/entries/abc/approve", json={}).status_code == 404


def test_staff_edit_rechecks_the_deduction_and_credit_holds_the_new_total(tenant: TenantAPI, clock: Clock,
                                                                          test_settings: Any) -> None:
    from tests.test_rebates_concurrency import _set_cap

    shop(tenant, plugins=("rebates", "credit"))
    program(tenant, "Q")
    buyer = tenant.buyer("C1")
    tenant.ok("put", "/credit/C1", {"limit": "100000.00"})
    tenant.ok("post", "/rebates/accounts/C1/adjustments", {"amount": "500.00", "reason": "opening"}, status=201)
    _set_cap(test_settings, tenant.slug, 1000)  # 10 %
    placed = order(buyer, {"A": 3}, use_rebate=True)  # 3,000.00: 300.00 paid with rebate
    assert placed["total"] == "2700.00"
    assert tenant.ok("get", "/credit/C1")["used"] == "2700.00"
    # more lines: the buyer agreed to 300.00, the edit keeps it (never takes more)
    edited = tenant.ok("patch", f"/orders/{placed['number']}", {"lines": [{"sku": "A", "qty": 5}]}, status=200)
    assert [a["amount"] for a in edited["adjustments"] if a["source"] == "rebates"] == ["-300.00"]
    assert edited["total"] == "4700.00" and tenant.ok("get", "/credit/C1")["used"] == "4700.00"
    # fewer: the cap (10 % of 1,000.00) lowers it to 100.00 and 200.00 goes back to the account
    edited = tenant.ok("patch", f"/orders/{placed['number']}", {"lines": [{"sku": "A", "qty": 1}]}, status=200)
    assert [a["amount"] for a in edited["adjustments"] if a["source"] == "rebates"] == ["-100.00"]
    assert edited["total"] == "900.00" and tenant.ok("get", "/credit/C1")["used"] == "900.00"
    account = tenant.ok("get", "/rebates/accounts/C1")
    assert account["balance"] == "400.00"
    assert [r["kind"] for r in account["ledger"]] == ["edit", "deduction", "adjustment"]
    tenant.ok("post", f"/orders/{placed['number']}/status", {"status": "rejected"})
    assert tenant.ok("get", "/rebates/accounts/C1")["balance"] == "500.00"


def test_money_decisions_are_audited(tenant: TenantAPI, clock: Clock) -> None:
    shop(tenant)
    program(tenant, "Q", tiers=[{"from": "0.00", "percent": "1"}])
    buyer = tenant.buyer("C1")
    clock.set("2026-08-01T03:00:00")
    receive(tenant, buyer, order(buyer, {"A": 1})["number"])
    clock.set("2026-10-02T03:00:00")
    [entry] = close(tenant)["entries"]
    tenant.ok("post", f"/rebates/entries/{entry['id']}/approve", {}, status=200)
    tenant.ok("post", "/rebates/accounts/C1/adjustments", {"amount": "-2.50", "reason": "damaged case"}, status=201)
    items = tenant.ok("get", "/audit")["items"]
    actions = {i["action"] for i in items}
    assert {"rebates.program", "rebates.approved", "rebates.adjustment"} <= actions, actions
