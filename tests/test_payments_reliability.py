"""Exactly once under failure: a worker dying mid-payout (the transfer happened, its answer was
lost), the same job message delivered twice, webhooks replayed and delivered out of order.
Each party receives exactly one transfer and the ledger balances to the cent.

Runs on the in-process broker and, with ``QUDAO_TEST_REDIS_URL``, on Redis (a Dramatiq worker
consumes the app's broker; see tests/payments_support.py).
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from litestar.testing import TestClient

from qudao.plugins.payments.models import Payment, SettlementLine, WebhookEvent
from tests import payments_support as support
from tests.payments_support import (
    WEBHOOK_SECRET,
    Doubles,
    Shop,
    count_rows,
    drain,
    make_shop,
    onboard_all,
    order_id_of,
    post_event,
    send_job,
    signed_event,
)

_localstripe, _connect, doubles, job_worker = (support._localstripe, support._connect, support.doubles,
                                               support.job_worker)


def start_card_payment(shop: Shop, number: str) -> dict[str, Any]:
    return shop.buyer.ok("post", f"/orders/{number}/payments", {"method": "card"})


def confirm_at_stripe(doubles: Doubles, pi_id: str) -> Any:
    """What Stripe.js does in the browser: attach a card and confirm, without telling our app."""
    client = doubles.payments_client()
    client.v1.payment_intents.update(pi_id, {"payment_method": "pm_card_visa"})
    return client.v1.payment_intents.confirm(pi_id)


def assert_exactly_once(shop: Shop, doubles: Doubles, number: str, *, refunded_minor: int = 0) -> None:
    """One transfer per party, and ledger == Stripe == charged − refunded, to the cent."""
    group = f"order:{shop.tenant_id}:{number}"
    transfers = [t for t in doubles.connect.transfers if t["transfer_group"] == group]
    per_party = Counter(t["metadata"]["party"] for t in transfers)
    assert per_party == Counter({"brand": 1, f"customer:{shop.distributor}": 1}), per_party
    settlement = shop.staff.ok("get", f"/settlement/orders/{number}")
    lines = {ln["party"]: ln for ln in settlement["lines"]}
    for t in transfers:
        line = lines[t["metadata"]["party"]]
        assert line["transfer"] == t["id"]
        assert round(float(line["net"]) * 100) == t["amount"] - t["amount_reversed"]
    charged = round(float(settlement["charged"]) * 100)
    settled = sum(round(float(ln["net"]) * 100) for ln in lines.values())
    assert settled == charged - refunded_minor
    assert count_rows(shop, Payment, Payment.order_number == number, Payment.status == "succeeded") == 1
    recon = shop.staff.ok("get", f"/settlement/reconciliation?order={number}")
    assert recon["mismatches"] == 0, recon


# --- payouts ----------------------------------------------------------------------------------------


def test_worker_killed_mid_payout_retries_with_same_key(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    onboard_all(shop, doubles)
    number = shop.order(qty=3)
    created = start_card_payment(shop, number)
    # The first transfer is made, but the worker never hears back (connection dropped after commit):
    # the job raises, Dramatiq retries it, and the retry finds it instead of paying twice.
    doubles.connect.drop_after_commit_next("/v1/transfers", method="POST")
    resp = shop.buyer.post(f"/orders/{number}/payments/{created['payment']['id']}/confirm",
                           json={"payment_method": "pm_card_visa"})
    assert resp.status_code == 200, resp.text
    drain()
    assert_exactly_once(shop, doubles, number)
    assert len(doubles.connect.transfers) == 2


def test_lost_answer_and_forgotten_key_still_one_transfer(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    onboard_all(shop, doubles)
    number = shop.order(qty=2)
    created = start_card_payment(shop, number)
    # A 500 after the transfer was committed, and Stripe forgets idempotency keys before the retry:
    # only listing the order's transfer_group prevents a duplicate.
    doubles.connect.drop_after_commit_next("/v1/transfers", method="POST", mode="status")
    original = doubles.connect._handle

    def handle_then_forget(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        doubles.connect.expire_idempotency_keys()
        return result

    doubles.connect._handle = handle_then_forget  # type: ignore[method-assign]
    try:
        confirm_at_stripe(doubles, created["payment_intent"])
        shop.buyer.ok("get", f"/orders/{number}/payment")
        payload, sig = signed_event(doubles.payments_client().v1.payment_intents.retrieve(
            created["payment_intent"]).to_dict(), "payment_intent.succeeded")
        assert post_event(client, payload, sig).status_code == 200
        drain()
    finally:
        doubles.connect._handle = original  # type: ignore[method-assign]
    assert_exactly_once(shop, doubles, number)


def test_same_payout_message_delivered_twice(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    number = shop.order(qty=3)
    created = start_card_payment(shop, number)
    resp = shop.buyer.post(f"/orders/{number}/payments/{created['payment']['id']}/confirm",
                           json={"payment_method": "pm_card_visa"})
    assert resp.status_code == 200
    drain()  # nobody onboarded yet: the lines wait
    assert doubles.connect.transfers == []
    for party in ("brand", f"customer:{shop.distributor}"):  # onboarded at Stripe; our app not told yet
        body = shop.staff.ok("put", f"/settlement/accounts/{party}", {})
        doubles.connect.complete_onboarding(body["account"])
    order_id = order_id_of(shop, number)
    for _ in range(3):  # duplicate deliveries, consumed concurrently by the worker's threads
        send_job("payments.payout", tenant_id=shop.tenant_id, order_id=order_id)
    drain()
    for _ in range(2):  # and again, late
        send_job("payments.payout", tenant_id=shop.tenant_id, order_id=order_id)
    drain()
    assert_exactly_once(shop, doubles, number)


def test_refund_reversals_exactly_once(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    onboard_all(shop, doubles)
    number = shop.order(qty=3)
    created = start_card_payment(shop, number)
    shop.buyer.ok("post", f"/orders/{number}/payments/{created['payment']['id']}/confirm",
                  {"payment_method": "pm_card_visa"})
    drain()
    doubles.connect.drop_after_commit_next("/v1/transfers/", method="POST")  # a reversal's answer is lost
    body = shop.staff.ok("post", f"/orders/{number}/refunds", {"amount": "10.01"})
    refund_id = int(body["refunds"][0]["id"])
    send_job("payments.reverse", tenant_id=shop.tenant_id, refund_id=refund_id)  # duplicate delivery
    drain()
    send_job("payments.reverse", tenant_id=shop.tenant_id, refund_id=refund_id)
    drain()
    reversals = Counter(r["transfer"] for r in doubles.connect.reversals)
    assert sorted(reversals.values()) == [1, 1]
    # brand floor(6999 × 1001 / 9999) = 700, distributor floor(2000 × 1001 / 9999) = 200
    assert sorted(r["amount"] for r in doubles.connect.reversals) == [200, 700]
    assert_exactly_once(shop, doubles, number, refunded_minor=1001)


# --- webhooks ---------------------------------------------------------------------------------------


def test_bad_signature_is_400_and_stores_nothing(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    number = shop.order(qty=1)
    created = start_card_payment(shop, number)
    pi = confirm_at_stripe(doubles, created["payment_intent"])
    payload, _ = signed_event(pi.to_dict(), "payment_intent.succeeded", event_id="evt_badsig_1")
    _, wrong = signed_event(pi.to_dict(), "payment_intent.succeeded", secret="whsec_wrong")
    assert post_event(client, payload, wrong).status_code == 400
    assert post_event(client, payload, "t=1,v1=deadbeef").status_code == 400
    assert client.post("/stripe/webhook", content=payload).status_code == 400
    tampered, sig = signed_event(pi.to_dict(), "payment_intent.succeeded", event_id="evt_badsig_1")
    assert post_event(client, tampered.replace(b"evt_badsig_1", b"evt_badsig_2"), sig).status_code == 400
    assert count_rows(shop, WebhookEvent) == 0
    assert shop.buyer.ok("get", f"/orders/{number}/payment")["status"] == "unpaid"


def test_webhook_replayed_and_out_of_order(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    onboard_all(shop, doubles)
    number = shop.order(qty=3)
    created = start_card_payment(shop, number)
    pi_id = created["payment_intent"]
    stale = doubles.payments_client().v1.payment_intents.retrieve(pi_id).to_dict()  # requires_payment_method
    pi = confirm_at_stripe(doubles, pi_id)
    assert pi.status == "succeeded"
    succeeded = signed_event(pi.to_dict(), "payment_intent.succeeded", event_id="evt_ok_" + pi_id)
    created_evt = signed_event(stale, "payment_intent.created", event_id="evt_created_" + pi_id)
    charge = doubles.payments_client().v1.charges.retrieve(pi.latest_charge).to_dict()
    charge_evt = signed_event(charge, "charge.succeeded", event_id="evt_charge_" + pi_id)

    # out of order: the stale "created" arrives last; the charge event first; everything twice
    for payload, sig in (charge_evt, succeeded, succeeded, created_evt, charge_evt, created_evt):
        resp = post_event(client, payload, sig)
        assert resp.status_code == 200, resp.text
    assert count_rows(shop, WebhookEvent) == 3
    drain()
    state = shop.buyer.ok("get", f"/orders/{number}/payment")
    assert state["status"] == "paid" and state["paid"] == "99.99"
    assert count_rows(shop, SettlementLine) == 3
    # the buyer's return page re-fetches too: still one payment
    shop.buyer.ok("post", f"/orders/{number}/payments/{created['payment']['id']}/confirm",
                  {"payment_method": "pm_card_visa"})
    drain()
    assert_exactly_once(shop, doubles, number)


def test_stale_event_alone_changes_nothing(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    number = shop.order(qty=1)
    created = start_card_payment(shop, number)
    stale = doubles.payments_client().v1.payment_intents.retrieve(created["payment_intent"]).to_dict()
    stale["status"] = "succeeded"  # a forged-looking copy: we act on the re-fetched object only
    payload, sig = signed_event(stale, "payment_intent.succeeded")
    assert post_event(client, payload, sig).status_code == 200
    assert shop.buyer.ok("get", f"/orders/{number}/payment")["status"] == "unpaid"


def test_real_localstripe_webhook_delivery(client: TestClient[Any], doubles: Doubles) -> None:
    """localstripe signs and sends the event; we forward the exact bytes to the app (twice)."""
    received: queue.Queue[tuple[bytes, str]] = queue.Queue()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.put((body, self.headers["Stripe-Signature"]))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        doubles.localstripe.register_webhook("qudao-tests", f"http://127.0.0.1:{server.server_address[1]}/",
                                             WEBHOOK_SECRET, ["payment_intent.succeeded"])
        shop = make_shop(client)
        onboard_all(shop, doubles)
        number = shop.order(qty=3)
        created = start_card_payment(shop, number)
        confirm_at_stripe(doubles, created["payment_intent"])
        while True:  # events of other tests may be delivered too
            payload, signature = received.get(timeout=30)
            if created["payment_intent"].encode() in payload:
                break
        for _ in range(2):
            assert post_event(client, payload, signature).status_code == 200
        drain()
        assert shop.buyer.ok("get", f"/orders/{number}/payment")["status"] == "paid"
        assert_exactly_once(shop, doubles, number)
    finally:
        doubles.localstripe.register_webhook("qudao-tests", "http://127.0.0.1:9/", "whsec_off", ["none.none"])
        server.shutdown()
        server.server_close()


def test_missed_webhook_recovered_by_sync(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    onboard_all(shop, doubles)
    number = shop.order(qty=3)
    created = start_card_payment(shop, number)
    confirm_at_stripe(doubles, created["payment_intent"])  # paid at Stripe; the webhook never comes
    assert shop.staff.ok("get", f"/orders/{number}/payment")["status"] == "unpaid"
    assert shop.buyer.post("/settlement/sync").status_code == 403
    result = shop.staff.ok("post", "/settlement/sync")
    assert result["updated"] == 1
    again = shop.staff.ok("post", "/settlement/sync")  # nothing left to do
    assert again["updated"] == 0
    drain()
    assert shop.staff.ok("get", f"/orders/{number}/payment")["status"] == "paid"
    assert_exactly_once(shop, doubles, number)
