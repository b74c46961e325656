"""Payments API: card (localstripe), balance, bank transfer, refunds, split rules, settlement, onboarding."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar.testing import TestClient

from tests import payments_support as support
from tests.conftest import TenantAPI, signup
from tests.payments_support import Doubles, drain, make_shop, onboard_all, pay_by_card

_localstripe, _connect, doubles, job_worker = (support._localstripe, support._connect, support.doubles,
                                               support.job_worker)


def lines_by_party(staff: TenantAPI, number: str) -> dict[str, dict[str, Any]]:
    return {ln["party"]: ln for ln in staff.ok("get", f"/settlement/orders/{number}")["lines"]}


def test_card_payment_splits_to_parties(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    accounts = onboard_all(shop, doubles)
    number = shop.order(qty=3)  # 3 × 33.33 = 99.99
    assert shop.buyer.ok("get", f"/orders/{number}/payment")["status"] == "unpaid"

    paid = pay_by_card(shop, number)
    created = paid["created"]
    assert created["client_secret"] and created["payment_intent"].startswith("pi_")
    assert paid["confirm"].status_code == 200, paid["confirm"].text
    drain()

    state = shop.buyer.ok("get", f"/orders/{number}/payment")
    assert state["status"] == "paid" and state["paid"] == "99.99" and state["outstanding"] == "0.00"
    assert shop.staff.ok("get", f"/orders/{number}")["paid_amount"] in ("99.99", "99.9900")

    pi = doubles.payments_client().v1.payment_intents.retrieve(created["payment_intent"])
    assert pi.transfer_group == f"order:{shop.tenant_id}:{number}"
    assert pi.metadata["tenant_id"] == str(shop.tenant_id) and pi.metadata["order_number"] == number

    lines = lines_by_party(shop.staff, number)
    dist = f"customer:{shop.distributor}"
    # platform 10 % of 9999 = 999.9 → 1000; distributor 20 % = 1999.8 → 2000; brand the rest 6999
    assert lines["platform"]["amount"] == "10.00" and lines["platform"]["status"] == "kept"
    assert lines[dist]["amount"] == "20.00" and lines[dist]["status"] == "paid"
    assert lines["brand"]["amount"] == "69.99" and lines["brand"]["status"] == "paid"
    transfers = doubles.connect.transfers
    assert sorted((t["destination"], t["amount"]) for t in transfers) == sorted(
        [(accounts["brand"], 6999), (accounts[dist], 2000)])
    assert all(t["transfer_group"] == f"order:{shop.tenant_id}:{number}" for t in transfers)
    assert all(t["source_transaction"] == pi.latest_charge for t in transfers)
    assert {t["metadata"]["idempotency_key"] for t in transfers} == {
        f"order:{shop.tenant_id}:{number}:transfer:brand", f"order:{shop.tenant_id}:{number}:transfer:{dist}"}


def test_3d_secure_card_needs_authentication(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    number = shop.order(qty=1)
    created = shop.buyer.ok("post", f"/orders/{number}/payments", {"method": "card"})
    pid = created["payment"]["id"]
    again = shop.buyer.ok("post", f"/orders/{number}/payments", {"method": "card"})
    assert again["payment"]["id"] == pid  # the open PaymentIntent is reused
    resp = shop.buyer.post(f"/orders/{number}/payments/{pid}/confirm", json={"card_number": "4000002760003184"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "unpaid" and body["next_action"]["type"] == "use_stripe_sdk"
    assert body["payment"]["stripe_status"] == "requires_action"
    assert shop.staff.ok("get", f"/settlement/orders/{number}")["lines"] == []
    done = shop.buyer.ok("post", f"/orders/{number}/payments/{pid}/authenticate", {"success": True})
    assert done["status"] == "paid" and done["payment"]["status"] == "succeeded"
    drain()
    assert len(shop.staff.ok("get", f"/settlement/orders/{number}")["lines"]) == 3


def test_balance_topup_and_pay(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    number = shop.order(qty=3)
    resp = shop.buyer.post(f"/orders/{number}/payments", json={"method": "balance"})
    assert resp.status_code == 422 and resp.json()["violations"][0]["code"] == "insufficient_balance"

    assert shop.staff.post(f"/balance/{shop.store}/topups", json={"amount": "-5"}).status_code == 422
    assert shop.buyer.post(f"/balance/{shop.store}/topups", json={"amount": "5"}).status_code == 403
    body = shop.staff.ok("post", f"/balance/{shop.store}/topups", {"amount": "150.00", "reference": "BANK-1"})
    assert body["balance"] == "150.00"

    pay = shop.buyer.ok("post", f"/orders/{number}/payments", {"method": "balance"})
    assert pay["status"] == "paid" and pay["payment"]["method"] == "balance"
    assert shop.buyer.ok("get", f"/balance/{shop.store}")["balance"] == "50.01"
    again = shop.buyer.post(f"/orders/{number}/payments", json={"method": "balance"})
    assert again.status_code == 409

    lines = lines_by_party(shop.staff, number)
    assert {ln["status"] for p, ln in lines.items() if p != "platform"} == {"offline"}
    drain()
    assert doubles.connect.transfers == []

    # refund back to the balance
    shop.staff.ok("post", f"/orders/{number}/refunds", {"amount": "9.99"})
    assert shop.buyer.ok("get", f"/balance/{shop.store}")["balance"] == "60.00"
    drain()
    settlement = shop.staff.ok("get", f"/settlement/orders/{number}")
    assert settlement["settled"] == "90.00"


def test_bank_transfer_partial_then_full(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    number = shop.order(qty=3)
    assert shop.buyer.post(f"/orders/{number}/payments",
                           json={"method": "bank_transfer", "amount": "10"}).status_code == 403
    for bad in ("0", "-1", "abc", "100.00", "1.001"):
        resp = shop.staff.post(f"/orders/{number}/payments", json={"method": "bank_transfer", "amount": bad})
        assert resp.status_code == 422, (bad, resp.text)
        assert resp.json()["errors"][0]["field"] == "amount"
    part = shop.staff.ok("post", f"/orders/{number}/payments",
                         {"method": "bank_transfer", "amount": "40.00", "reference": "SLIP-1"})
    assert part["status"] == "partly_paid" and part["outstanding"] == "59.99"
    assert shop.staff.ok("get", f"/settlement/orders/{number}")["lines"] == []
    full = shop.staff.ok("post", f"/orders/{number}/payments", {"method": "bank_transfer", "amount": "59.99"})
    assert full["status"] == "paid"
    assert len(shop.staff.ok("get", f"/settlement/orders/{number}")["lines"]) == 3


def test_bad_input_changes_nothing(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    number = shop.order(qty=1)
    assert shop.buyer.post(f"/orders/{number}/payments", json={"method": "bitcoin"}).status_code == 422
    assert shop.buyer.post("/orders/SO-NOPE/payments", json={"method": "card"}).status_code == 404
    assert shop.staff.post("/orders/SO-NOPE/refunds", json={"amount": "1"}).status_code == 404
    assert shop.buyer.get("/orders/SO-NOPE/payment").status_code == 404
    resp = shop.staff.post(f"/orders/{number}/refunds", json={"amount": "1.00"})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "amount"
    assert shop.staff.post(f"/orders/{number}/refunds", json={"amount": "-1"}).status_code == 422
    assert shop.staff.get(f"/orders/{number}/payment").json()["payments"] == []
    assert shop.staff.get("/balance/NOPE").status_code == 404
    assert shop.staff.post("/balance/NOPE/topups", json={"amount": "1"}).status_code == 404


def test_split_rules_must_add_up(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client, distributor_percent=None)
    rules = shop.staff.ok("get", "/settlement/rules")
    assert rules["platform_percent"] == "10" and rules["configured"] is False
    for body, field in [
        ({"brand_percent": "80", "distributor_percent": "20"}, "brand_percent"),
        ({"brand_percent": "70", "distributor_percent": "10"}, "brand_percent"),
        ({"brand_percent": "abc"}, "brand_percent"),
        ({"brand_percent": "101"}, "brand_percent"),
        ({"distributor_percent": "10"}, "brand_percent"),
        ({"brand_percent": "70", "distributor_percent": "20", "platform_percent": "5"}, "platform_percent"),
        ({"brand_percent": "70", "distributor_percent": "20", "sales_rep_percent": "71"}, "sales_rep_percent"),
        ({"brand_percent": "70.001", "distributor_percent": "19.999"}, "brand_percent"),
    ]:
        resp = shop.staff.put("/settlement/rules", json=body)
        assert resp.status_code == 422, (body, resp.text)
        assert field in [e["field"] for e in resp.json()["errors"]], (body, resp.text)
    assert shop.staff.ok("get", "/settlement/rules")["configured"] is False
    assert shop.staff.put("/settlement/rules", json={"brand_percent": "65.5",
                                                     "distributor_percent": "24.5"}).status_code == 201
    assert shop.staff.put("/settlement/rules", json={"brand_percent": "70",
                                                     "distributor_percent": "20"}).status_code == 200
    assert shop.buyer.put("/settlement/rules", json={"brand_percent": "90"}).status_code == 403


def test_plugin_off_is_404_and_isolated(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    number = shop.order(qty=1)
    other = signup(client)
    assert other.get(f"/orders/{number}/payment").status_code == 404  # plugin off there
    other.ok("put", "/plugins/payments", {"enabled": True})
    assert other.get(f"/orders/{number}/payment").status_code == 404
    assert other.get(f"/settlement/orders/{number}").status_code == 404
    assert other.get(f"/balance/{shop.store}").status_code == 404
    shop.staff.ok("put", "/plugins/payments", {"enabled": False})
    assert shop.staff.get(f"/orders/{number}/payment").status_code == 404


def test_full_refund_reverses_transfers(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    onboard_all(shop, doubles)
    number = shop.order(qty=3)
    assert pay_by_card(shop, number)["confirm"].status_code == 200
    drain()
    assert len(doubles.connect.transfers) == 2

    first = shop.staff.ok("post", f"/orders/{number}/refunds", {"amount": "33.33", "reason": "one case broken"})
    assert first["refunds"][0]["status"] == "succeeded" and first["payment"]["refunded"] == "33.33"
    drain()
    reversals = doubles.connect.reversals
    # brand floor(6999 × 3333 / 9999) = 2333, distributor floor(2000 × 3333 / 9999) = 666
    assert sorted(r["amount"] for r in reversals) == [666, 2333]
    too_much = shop.staff.post(f"/orders/{number}/refunds", json={"amount": "66.67"})
    assert too_much.status_code == 422
    shop.staff.ok("post", f"/orders/{number}/refunds", {"amount": "66.66"})
    drain()
    state = shop.staff.ok("get", f"/orders/{number}/payment")
    assert state["refund_status"] == "full" and state["refundable"] == "0.00"
    for t in doubles.connect.transfers:
        assert t["amount_reversed"] == t["amount"]
    lines = lines_by_party(shop.staff, number)
    assert all(ln["net"] == "0.00" for ln in lines.values())
    assert {ln["status"] for p, ln in lines.items() if p != "platform"} == {"reversed"}
    refunds = doubles.payments_client().v1.refunds.list({"payment_intent": state["payments"][0]["payment_intent"]})
    assert sum(r.amount for r in refunds.data) == 9999


def test_onboarding_link_and_waiting_payout(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    number = shop.order(qty=1)
    assert pay_by_card(shop, number)["confirm"].status_code == 200
    drain()
    lines = lines_by_party(shop.staff, number)
    assert lines["brand"]["status"] == "pending" and "onboard" in (lines["brand"]["note"] or "")
    assert shop.staff.put("/settlement/accounts/NOPE", json={}).status_code == 404
    assert shop.buyer.put("/settlement/accounts/brand", json={}).status_code == 403
    body = shop.staff.put("/settlement/accounts/brand", json={})
    assert body.status_code == 201, body.text
    link = body.json()
    assert link["url"].startswith(doubles.connect.base_url) and link["status"] == "pending"
    assert shop.staff.put("/settlement/accounts/brand", json={}).status_code == 200
    import httpx

    assert httpx.get(link["url"], follow_redirects=False).status_code == 302  # the party completes onboarding
    accounts = shop.staff.ok("get", "/settlement/accounts")["items"]
    assert [a["status"] for a in accounts if a["party"] == "brand"] == ["active"]
    drain()
    lines = lines_by_party(shop.staff, number)
    assert lines["brand"]["status"] == "paid"
    assert lines[f"customer:{shop.distributor}"]["status"] == "pending"
    assert sum(Decimal(ln["amount"]) for ln in lines.values()) == Decimal("33.33")


def test_credit_terms_then_paid_frees_credit(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    shop.staff.ok("put", "/plugins/credit", {"enabled": True})
    shop.staff.ok("put", f"/credit/{shop.store}", {"limit": "500.00"})
    number = shop.order(qty=3)
    assert shop.staff.ok("get", f"/credit/{shop.store}")["used"] == "99.99"
    chosen = shop.buyer.ok("post", f"/orders/{number}/payments", {"method": "credit"}, status=200)
    assert chosen["payment_terms"] == "credit" and chosen["status"] == "unpaid"
    shop.staff.ok("post", f"/orders/{number}/payments", {"method": "bank_transfer", "amount": "99.99"})
    assert shop.staff.ok("get", f"/credit/{shop.store}")["used"] == "0.00"  # qudao_order_paid freed it
    shop.staff.ok("put", "/plugins/credit", {"enabled": False})
    other = shop.order(qty=1)
    resp = shop.buyer.post(f"/orders/{other}/payments", json={"method": "credit"})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "method"


def test_methods_switched_off_per_tenant(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    shop.staff.ok("put", "/plugins/payments", {"enabled": True, "settings": {"method_card": False}})
    number = shop.order(qty=1)
    resp = shop.buyer.post(f"/orders/{number}/payments", json={"method": "card"})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "method"
    assert "card" not in shop.buyer.ok("get", f"/orders/{number}/payment")["methods"]


def test_staff_money_moves_are_audited(client: TestClient[Any], doubles: Doubles) -> None:
    """Top-ups, bank transfers, refunds and split rules: who, when, before and after (Admin → Audit log)."""
    shop = make_shop(client)
    shop.staff.ok("put", "/settlement/rules", {"brand_percent": "70", "distributor_percent": "20"})
    number = shop.order(qty=3)  # 99.99
    shop.staff.ok("post", f"/balance/{shop.store}/topups", {"amount": "150.00", "reference": "BANK-1"})
    shop.staff.ok("post", f"/orders/{number}/payments", {"method": "bank_transfer", "amount": "99.99",
                                                          "reference": "SLIP-1"})
    shop.staff.ok("post", f"/orders/{number}/refunds", {"amount": "9.99", "reason": "one case broken"})

    def entries(action: str) -> list[dict[str, Any]]:
        return shop.staff.ok("get", f"/audit?action={action}")["items"]

    topup = entries("payments.topup")
    assert [(e["target"], e["before"], e["after"]) for e in topup] == [
        (shop.store, {"balance": "0.00"}, {"balance": "150.00", "reference": "BANK-1"})]
    assert topup[0]["user"] and topup[0]["at"]
    transfer = entries("payments.bank_transfer")
    assert [(e["target"], e["before"], e["after"]) for e in transfer] == [
        (number, {"outstanding": "99.99"}, {"received": "99.99", "reference": "SLIP-1"})]
    refund = entries("payments.refund")
    assert [(e["target"], e["before"], e["after"]["refunded"], e["after"]["reason"]) for e in refund] == [
        (number, {"refundable": "99.99"}, "9.99", "one case broken")]
    rule = entries("payments.split_rule")[0]
    assert rule["before"] is None and rule["after"]["brand_percent"] == "70" and rule["after"]["distributor_percent"] == "20"
