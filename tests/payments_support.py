"""Shared fixtures and helpers for the payments tests.

* ``doubles``: localstripe (PaymentIntents, refunds, signed webhooks) and our Connect double
  (accounts, transfers, reversals with real idempotency-key enforcement), wired into the app with
  :func:`qudao.plugins.payments.stripe_client.set_api_bases` (payments → localstripe,
  connect → the Connect double) and settings replaced with a webhook secret and a 10 % platform fee.
* ``job_worker``: with ``QUDAO_TEST_REDIS_URL`` the app's broker is Redis and nothing consumes it
  in-process, so this runs a ``dramatiq.Worker`` on the current broker for the session; with the
  in-process broker the app's own worker already runs.
* :func:`drain` (the kit's ``run_jobs``): wait until every job (and every retry it scheduled) has finished, on both brokers.
* :func:`signed_event` / :func:`post_event`: build and deliver Stripe-signed webhook events.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import stripe
from litestar.testing import TestClient

from qudao.core.config import get_settings, reset_settings
from qudao.plugins.payments import stripe_client
from qudao.testing import run_jobs as drain
from tests.conftest import PASSWORD, TenantAPI, signup
from tests.doubles.localstripe_server import LocalStripe
from tests.doubles.stripe_connect import StripeConnectDouble

WEBHOOK_SECRET = "whsec_qudao_tests"
PLATFORM_FEE = "10"


@dataclass
class Doubles:
    localstripe: LocalStripe
    connect: StripeConnectDouble

    def payments_client(self) -> stripe.StripeClient:
        return stripe.StripeClient(stripe_client.TEST_DOUBLE_KEY, base_addresses={"api": self.localstripe.base_url},
                                   max_network_retries=0)

    def connect_client(self) -> stripe.StripeClient:
        return stripe.StripeClient(stripe_client.TEST_DOUBLE_KEY, base_addresses={"api": self.connect.base_url},
                                   max_network_retries=0)


@pytest.fixture(scope="session")
def _localstripe() -> Iterator[LocalStripe]:
    with LocalStripe(api_key=stripe_client.TEST_DOUBLE_KEY) as ls:
        yield ls


@pytest.fixture(scope="session")
def _connect() -> Iterator[StripeConnectDouble]:
    with StripeConnectDouble() as double:
        yield double


@pytest.fixture
def doubles(client: TestClient[Any], _localstripe: LocalStripe, _connect: StripeConnectDouble,
            job_worker: Any) -> Iterator[Doubles]:
    """Both Stripe doubles wired into the app for one test (settings restored afterwards)."""
    before = get_settings()
    reset_settings(dataclasses.replace(before, stripe_api_base=None, stripe_secret_key=None,
                                       stripe_webhook_secret=WEBHOOK_SECRET, platform_fee_percent=PLATFORM_FEE))
    stripe_client.set_api_bases(payments=_localstripe.base_url, connect=_connect.base_url)
    _connect.reset()
    try:
        yield Doubles(_localstripe, _connect)
    finally:
        drain()
        stripe_client.set_api_bases()
        reset_settings(before)


@pytest.fixture(scope="session")
def job_worker(client: TestClient[Any]) -> Any:
    """A Dramatiq worker consuming the app's broker when that broker is Redis.

    ``qudao.workers.broker.start_local_worker`` is idempotent (the session's ``client`` fixture may
    have started it already) and the app's shutdown stops it. Never start a second Worker on the
    same broker: Dramatiq's AsyncIO middleware keeps one event-loop thread per process, and two
    workers would leave one loop running at exit.
    """
    from dramatiq.brokers.redis import RedisBroker

    from qudao.workers.broker import current_broker, start_local_worker

    broker = current_broker()
    assert broker is not None, "the app's broker is set up at startup"
    if isinstance(broker, RedisBroker):
        return start_local_worker()
    return None  # the in-process worker of qudao.workers.broker already consumes the StubBroker


# --- tenants, orders ------------------------------------------------------------------------------


@dataclass
class Shop:
    """A tenant with payments on, a distributor D-x and its store S-x (buyer logged in)."""

    staff: TenantAPI
    buyer: TenantAPI
    distributor: str
    store: str
    tenant_id: int

    def order(self, qty: int = 3) -> str:
        resp = self.buyer.post("/orders", json={"lines": [{"sku": "TEA-1", "qty": qty}]},
                               headers={"Idempotency-Key": uuid.uuid4().hex})
        assert resp.status_code == 201, resp.text
        return resp.json()["number"]


def make_shop(client: TestClient[Any], *, distributor_percent: str | None = "20", price: str = "33.33",
              with_distributor: bool = True) -> Shop:
    staff = signup(client)
    staff.ok("put", "/plugins/payments", {"enabled": True})
    staff.ok("put", "/products/TEA-1", {"name": "乌龙茶 500ml", "price": price})
    staff.ok("put", "/warehouses/WH1", {"name": "Shanghai"})
    staff.ok("put", "/warehouses/WH1/stock/TEA-1", {"on_hand": 10_000})
    suffix = uuid.uuid4().hex[:4].upper()
    distributor, store = f"D-{suffix}", f"S-{suffix}"
    staff.ok("put", f"/customers/{distributor}", {"name": "Distributor", "warehouse": "WH1"})
    extra = {"parent": distributor} if with_distributor else {}
    buyer = staff.buyer(store, name="Store", warehouse="WH1", **extra)
    if distributor_percent is not None:
        brand = str(100 - int(PLATFORM_FEE) - int(distributor_percent))
        staff.ok("put", "/settlement/rules", {"brand_percent": brand, "distributor_percent": distributor_percent})
    tenant_id = tenant_id_of(staff)
    return Shop(staff, buyer, distributor, store, tenant_id)


def tenant_id_of(staff: TenantAPI) -> int:
    from sqlalchemy import select

    from qudao.core.db.session import Database
    from qudao.tenants.models import Tenant

    async def find() -> int:
        settings = get_settings()
        db = Database(settings.database_url, None)
        try:
            async with db.session() as session:
                return int(await session.scalar(select(Tenant.id).where(Tenant.slug == staff.slug)))
        finally:
            await db.dispose()

    from qudao.core.asyncutil import run_sync

    return run_sync(find())


def onboard_all(shop: Shop, doubles: Doubles) -> dict[str, str]:
    """Onboard the brand and the distributor; returns party -> acct id."""
    out = {}
    for party in ("brand", f"customer:{shop.distributor}"):
        body = shop.staff.ok("put", f"/settlement/accounts/{party}", {})
        doubles.connect.complete_onboarding(body["account"])
        out[body["party"]] = body["account"]
    shop.staff.ok("get", "/settlement/accounts")  # re-fetches statuses
    return out


def pay_by_card(shop: Shop, number: str, card: str = "pm_card_visa") -> dict[str, Any]:
    created = shop.buyer.ok("post", f"/orders/{number}/payments", {"method": "card"})
    pid = created["payment"]["id"]
    resp = shop.buyer.post(f"/orders/{number}/payments/{pid}/confirm", json={"payment_method": card})
    return {"created": created, "confirm": resp}


# --- webhooks ----------------------------------------------------------------------------------------


def signed_event(obj: dict[str, Any], event_type: str, event_id: str | None = None,
                 secret: str = WEBHOOK_SECRET) -> tuple[bytes, str]:
    event = {"id": event_id or f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "type": event_type,
             "api_version": "2024-06-20", "created": int(time.time()), "livemode": False,
             "data": {"object": obj}}
    payload = json.dumps(event).encode()
    ts = int(time.time())
    sig = stripe.WebhookSignature._compute_signature(f"{ts}.{payload.decode()}", secret)
    return payload, f"t={ts},v1={sig}"


def post_event(client: TestClient[Any], payload: bytes, signature: str) -> Any:
    return client.post("/stripe/webhook", content=payload,
                       headers={"Stripe-Signature": signature, "Content-Type": "application/json"})


__all__ = ["PASSWORD", "Doubles", "Shop", "drain", "make_shop", "onboard_all", "pay_by_card", "post_event",
           "signed_event"]


# --- direct database access for assertions --------------------------------------------------------


def run_db(tenant_id: int, fn: Any) -> Any:
    """Run ``await fn(session)`` in a session bound to the tenant (a fresh engine, then disposed)."""
    from qudao.core.db.session import Database

    async def main() -> Any:
        settings = get_settings()
        db = Database(settings.database_url, None)
        try:
            async with db.session(tenant_id) as session:
                return await fn(session)
        finally:
            await db.dispose()

    from qudao.core.asyncutil import run_sync

    return run_sync(main())


def order_id_of(shop: Shop, number: str) -> int:
    from sqlalchemy import select

    from qudao.core.orders.models import Order

    async def find(session: Any) -> int:
        return int(await session.scalar(select(Order.id).where(Order.number == number)))

    return run_db(shop.tenant_id, find)


def count_rows(shop: Shop, model: Any, *criteria: Any) -> int:
    from sqlalchemy import func, select

    async def count(session: Any) -> int:
        return int(await session.scalar(select(func.count()).select_from(model).where(*criteria)))

    return run_db(shop.tenant_id, count)


def send_job(actor: str, **kwargs: Any) -> None:
    """Deliver a job message directly (as a duplicate delivery would)."""
    from qudao.workers.broker import send

    send(actor, kwargs)
