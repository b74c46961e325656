"""The Stripe test doubles work with stripe-python 16 (``StripeClient``).

* localstripe (tests/doubles/localstripe_server.py): PaymentIntents with test
  cards, ``transfer_group``, signed webhooks.
* the Connect double (tests/doubles/stripe_connect.py): accounts, account
  links, transfers, reversals, Stripe-like idempotency and failure injection.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import stripe

from tests.doubles.localstripe_server import LocalStripe
from tests.doubles.stripe_connect import StripeConnectDouble, encode_stripe_form, parse_stripe_form

API_KEY = "sk_test_doubles"


# ---------------------------------------------------------------------------
# localstripe
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def localstripe() -> Iterator[LocalStripe]:
    with LocalStripe() as ls:
        yield ls


def test_payment_intent_confirmed_with_test_card(localstripe: LocalStripe) -> None:
    client = stripe.StripeClient(API_KEY, base_addresses={"api": localstripe.base_url})
    intent = client.v1.payment_intents.create(
        {
            "amount": 12_300,
            "currency": "cny",
            "payment_method": "pm_card_visa",
            "transfer_group": "order_42",
            "metadata": {"order_id": "42", "tenant_id": "t1"},
        }
    )
    assert intent.status == "requires_confirmation"
    assert intent.transfer_group == "order_42"

    confirmed = client.v1.payment_intents.confirm(intent.id)
    assert confirmed.status == "succeeded"
    assert isinstance(confirmed.latest_charge, str) and confirmed.latest_charge.startswith("ch_")

    charge = client.v1.charges.retrieve(confirmed.latest_charge)
    assert charge.amount == 12_300 and charge.status == "succeeded" and charge.paid

    expanded = client.v1.payment_intents.retrieve(intent.id, {"expand": ["latest_charge"]})
    assert expanded.latest_charge.id == charge.id
    assert expanded.metadata.to_dict() == {"order_id": "42", "tenant_id": "t1"}


def test_localstripe_signed_webhook(localstripe: LocalStripe) -> None:
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
        secret = "whsec_test_doubles"
        localstripe.register_webhook(
            "qudao", f"http://127.0.0.1:{server.server_address[1]}/hook", secret, ["payment_intent.succeeded"]
        )
        client = stripe.StripeClient(API_KEY, base_addresses={"api": localstripe.base_url})
        intent = client.v1.payment_intents.create(
            {"amount": 500, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True}
        )
        assert intent.status == "succeeded"
        # localstripe sends ~1 s after the event, to the webhooks registered at
        # that time: events of earlier tests in this module may arrive too.
        while True:
            payload, signature = received.get(timeout=10)
            event = stripe.Webhook.construct_event(payload, signature, secret)
            assert event.type == "payment_intent.succeeded"
            if event.data.object.id == intent.id:
                break
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(payload, signature, "whsec_wrong")
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------------------
# Connect double
# ---------------------------------------------------------------------------


@pytest.fixture
def connect() -> Iterator[StripeConnectDouble]:
    with StripeConnectDouble() as double:
        yield double


def make_client(double: StripeConnectDouble, retries: int = 0) -> stripe.StripeClient:
    return stripe.StripeClient(API_KEY, base_addresses={"api": double.base_url}, max_network_retries=retries)


def onboarded_account(client: stripe.StripeClient, double: StripeConnectDouble) -> str:
    account = client.v1.accounts.create(
        {"type": "express", "country": "CN", "capabilities": {"transfers": {"requested": True}}}
    )
    double.complete_onboarding(account.id)
    return account.id


def transfer_params(destination: str, amount: int = 4_000, group: str = "order_42") -> dict:
    return {
        "amount": amount,
        "currency": "cny",
        "destination": destination,
        "transfer_group": group,
        "source_transaction": "ch_test_1",
        "metadata": {"order_id": "42", "party": "supplier_a"},
    }


def test_form_round_trip() -> None:
    params = {"metadata": {"order": "1"}, "expand": ["a", "b"], "items": [{"price": "p", "qty": 2}]}
    encoded = encode_stripe_form(params)
    assert "metadata%5Border%5D=1" in encoded
    assert parse_stripe_form(encoded) == {
        "metadata": {"order": "1"},
        "expand": ["a", "b"],
        "items": [{"price": "p", "qty": "2"}],
    }


def test_account_and_onboarding_link(connect: StripeConnectDouble) -> None:
    client = make_client(connect)
    account = client.v1.accounts.create({"type": "express", "email": "s@example.test"})
    assert account.id.startswith("acct_") and account.type == "express"
    assert account.charges_enabled is False and account.details_submitted is False

    link = client.v1.account_links.create(
        {
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": "https://app.example.test/refresh",
            "return_url": "https://app.example.test/return",
        }
    )
    assert link.url.startswith(connect.base_url)

    redirect = httpx.get(link.url, follow_redirects=False)
    assert redirect.status_code == 302
    assert redirect.headers["Location"] == "https://app.example.test/return"

    fetched = client.v1.accounts.retrieve(account.id)
    assert fetched.charges_enabled and fetched.payouts_enabled and fetched.details_submitted
    assert fetched.capabilities.transfers == "active"

    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.accounts.retrieve("acct_missing")
    assert missing.value.http_status == 404


def test_transfer_needs_onboarded_destination(connect: StripeConnectDouble) -> None:
    client = make_client(connect)
    account = client.v1.accounts.create({"type": "express"})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.transfers.create(transfer_params(account.id))
    assert exc.value.code == "insufficient_capabilities_for_transfer"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.transfers.create(transfer_params("acct_nope"))
    assert exc.value.code == "resource_missing" and exc.value.param == "destination"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.transfers.create({**transfer_params(account.id), "destnation": "typo"})
    assert exc.value.code == "parameter_unknown"
    assert connect.transfers == []


def test_transfer_idempotency_key_replays(connect: StripeConnectDouble) -> None:
    client = make_client(connect)
    acct = onboarded_account(client, connect)
    key = "order:42:transfer:supplier_a"

    first = client.v1.transfers.create(transfer_params(acct), options={"idempotency_key": key})
    again = client.v1.transfers.create(transfer_params(acct), options={"idempotency_key": key})

    assert again.id == first.id
    assert again.last_response.body == first.last_response.body  # byte-for-byte replay
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers
    assert len(connect.transfers) == 1
    stored = connect.transfers[0]
    assert stored["amount"] == 4_000 and stored["destination"] == acct
    assert stored["metadata"] == {"order_id": "42", "party": "supplier_a"}
    assert stored["source_transaction"] == "ch_test_1" and stored["transfer_group"] == "order_42"


def test_same_key_different_body_is_an_error(connect: StripeConnectDouble) -> None:
    client = make_client(connect)
    acct = onboarded_account(client, connect)
    key = "order:42:transfer:supplier_a"
    client.v1.transfers.create(transfer_params(acct), options={"idempotency_key": key})
    with pytest.raises(stripe.IdempotencyError) as exc:
        client.v1.transfers.create(transfer_params(acct, amount=4_001), options={"idempotency_key": key})
    assert exc.value.http_status == 400
    assert exc.value.json_body["error"]["type"] == "idempotency_error"
    # Same key on another endpoint is also refused.
    with pytest.raises(stripe.IdempotencyError):
        client.v1.accounts.create({"type": "express"}, options={"idempotency_key": key})
    assert len(connect.transfers) == 1


def test_reversals_cannot_exceed_transfer(connect: StripeConnectDouble) -> None:
    client = make_client(connect)
    acct = onboarded_account(client, connect)
    transfer = client.v1.transfers.create(transfer_params(acct, amount=1_000))

    first = client.v1.transfers.reversals.create(
        transfer.id, {"amount": 600, "metadata": {"refund": "r1"}}, options={"idempotency_key": "refund:r1"}
    )
    replay = client.v1.transfers.reversals.create(
        transfer.id, {"amount": 600, "metadata": {"refund": "r1"}}, options={"idempotency_key": "refund:r1"}
    )
    assert replay.id == first.id and first.amount == 600 and first.transfer == transfer.id

    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.transfers.reversals.create(transfer.id, {"amount": 401})
    assert exc.value.http_status == 400 and exc.value.param == "amount"

    rest = client.v1.transfers.reversals.create(transfer.id)  # default: what remains
    assert rest.amount == 400
    fetched = client.v1.transfers.retrieve(transfer.id)
    assert fetched.amount_reversed == 1_000 and fetched.reversed is True
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.transfers.reversals.create(transfer.id, {"amount": 1})

    listed = client.v1.transfers.reversals.list(transfer.id)
    assert [r.amount for r in listed.data] == [400, 600]  # newest first
    assert [r["amount"] for r in connect.reversals] == [600, 400]


def test_list_transfers_by_transfer_group(connect: StripeConnectDouble) -> None:
    client = make_client(connect)
    a = onboarded_account(client, connect)
    b = onboarded_account(client, connect)
    t1 = client.v1.transfers.create(transfer_params(a, 100, "order_1"))
    t2 = client.v1.transfers.create(transfer_params(b, 200, "order_1"))
    client.v1.transfers.create(transfer_params(a, 300, "order_2"))

    page = client.v1.transfers.list({"transfer_group": "order_1"})
    assert page.object == "list" and page.has_more is False
    assert [t.id for t in page.data] == [t2.id, t1.id]

    first_page = client.v1.transfers.list({"transfer_group": "order_1", "limit": 1})
    assert first_page.has_more is True and [t.id for t in first_page.data] == [t2.id]
    assert [t.id for t in first_page.auto_paging_iter()] == [t2.id, t1.id]

    assert client.v1.transfers.list({"transfer_group": "order_404"}).data == []
    assert [t.amount for t in client.v1.transfers.list({"destination": a}).data] == [300, 100]


def test_lost_response_then_retry_with_same_key(connect: StripeConnectDouble) -> None:
    acct = onboarded_account(make_client(connect), connect)

    # Connection closed after commit; stripe-python retries with the same key.
    connect.drop_after_commit_next("/v1/transfers", method="POST")
    transfer = make_client(connect, retries=2).v1.transfers.create(
        transfer_params(acct), options={"idempotency_key": "order:42:transfer:a"}
    )
    assert transfer.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(connect.transfers) == 1

    # A 500 after commit, no client retry: the caller's own re-run must reuse the key.
    client = make_client(connect)
    connect.drop_after_commit_next("/v1/transfers", method="POST", mode="status")
    with pytest.raises(stripe.APIError):
        client.v1.transfers.create(transfer_params(acct, 50), options={"idempotency_key": "k2"})
    assert len(connect.transfers) == 2  # it happened anyway
    rerun = client.v1.transfers.create(transfer_params(acct, 50), options={"idempotency_key": "k2"})
    assert rerun.id == connect.transfers[1]["id"]
    assert len(connect.transfers) == 2

    # After Stripe forgets the key (24 h), only listing by transfer_group prevents a duplicate.
    connect.expire_idempotency_keys()
    existing = client.v1.transfers.list({"transfer_group": "order_42"}).data
    assert len(existing) == 2


def test_fail_next_does_not_execute(connect: StripeConnectDouble) -> None:
    client = make_client(connect)
    acct = onboarded_account(client, connect)
    connect.fail_next("/v1/transfers", status=500)
    with pytest.raises(stripe.APIError):
        client.v1.transfers.create(transfer_params(acct), options={"idempotency_key": "k"})
    assert connect.transfers == []
    # Nothing was stored for the key, so a retry executes normally.
    transfer = client.v1.transfers.create(transfer_params(acct), options={"idempotency_key": "k"})
    assert "Idempotent-Replayed" not in transfer.last_response.headers
    assert len(connect.transfers) == 1

    connect.fail_next("/v1/transfers", status=503, times=2)
    retried = make_client(connect, retries=2).v1.transfers.create(transfer_params(acct, 7))
    assert retried.amount == 7 and len(connect.transfers) == 2

    connect.fail_next("/v1/transfers", status=429)
    with pytest.raises(stripe.RateLimitError):
        client.v1.transfers.list()


def test_api_key_required(connect: StripeConnectDouble) -> None:
    response = httpx.get(f"{connect.base_url}/v1/transfers")
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"
