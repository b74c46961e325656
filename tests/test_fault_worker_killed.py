"""The worker is killed (SIGKILL, no clean shutdown) in the middle of a settlement payout: the
first transfer was made at Stripe and its answer never arrived. A new ``qudao worker`` gets
the unacknowledged job back (Dramatiq's heartbeat timeout, shortened here) and finishes
it: one transfer per party, the ledger matching Stripe to the cent."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dramatiq.brokers.redis import RedisBroker

from qudao.core.config import get_settings
from tests import payments_support as support
from tests.fault_support import PrivateRedis, WorkerProcess, wait_until
from tests.payments_support import Doubles, make_shop, onboard_all, pay_by_card
from tests.test_fault_redis_outage import jobs_to_private_redis, private_redis  # noqa: F401
from tests.test_payments_reliability import assert_exactly_once

_localstripe, _connect, doubles, job_worker = (support._localstripe, support._connect, support.doubles,
                                               support.job_worker)
FAST_REQUEUE = {"QUDAO_REDIS_HEARTBEAT_MS": "2000", "QUDAO_REDIS_MAINTENANCE_CHANCE": "1000000"}


@pytest.fixture
def transfer_gate(doubles: Doubles) -> Iterator[dict[str, threading.Event]]:
    """The first transfer is made at the Connect double, then its answer is held back."""
    made, release = threading.Event(), threading.Event()
    original = doubles.connect._handle

    def handle(method: str, target: str, *args: Any, **kwargs: Any) -> Any:
        result = original(method, target, *args, **kwargs)
        if method == "POST" and target.startswith("/v1/transfers") and not made.is_set():
            made.set()
            release.wait(60)
        return result

    doubles.connect._handle = handle  # type: ignore[method-assign]
    try:
        yield {"made": made, "release": release}
    finally:
        release.set()
        doubles.connect._handle = original  # type: ignore[method-assign]


def test_worker_killed_mid_payout_one_transfer_per_party(
        client: Any, doubles: Doubles, private_redis: PrivateRedis,  # noqa: F811
        jobs_to_private_redis: RedisBroker, transfer_gate: dict[str, threading.Event],  # noqa: F811
        tmp_path: Path) -> None:
    shop = make_shop(client)
    onboard_all(shop, doubles)
    settings = get_settings()

    def worker() -> WorkerProcess:
        return WorkerProcess(settings, private_redis.url, tmp_path, stripe_payments=doubles.localstripe.base_url,
                             stripe_connect=doubles.connect.base_url, extra_env=FAST_REQUEUE).start()

    first = worker()
    second = None
    try:
        number = shop.order(qty=3)
        assert pay_by_card(shop, number)["confirm"].status_code == 200
        assert transfer_gate["made"].wait(90), first.output()
        first.kill()  # mid-job: the transfer exists at Stripe, the worker never heard back
        transfer_gate["release"].set()
        group = f"order:{shop.tenant_id}:{number}"
        assert len([t for t in doubles.connect.transfers if t["transfer_group"] == group]) == 1

        second = worker()

        def settled() -> bool:
            lines = shop.staff.ok("get", f"/settlement/orders/{number}")["lines"]
            paid_out = [ln for ln in lines if ln["party"] != "platform"]  # the platform keeps its share
            return bool(paid_out) and all(ln.get("transfer") for ln in paid_out)

        wait_until(settled, 120, "the payout finished by the new worker", on_fail=second.output)
        assert_exactly_once(shop, doubles, number)
        assert second.alive(), second.output()
    finally:
        first.kill()
        if second is not None:
            second.stop()
