"""Redis down while an order is placed and paid: the order and the payment commit, their jobs
wait in the outbox, and once Redis is back the real ``qudao worker`` (its outbox relay and
its Dramatiq workers) delivers them: exactly one WeChat message per event and one Stripe
transfer per party. Runs against a private redis-server the test stops and starts."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy import func, select

from qudao.core import outbox
from qudao.core.asyncutil import run_sync
from qudao.core.config import get_settings
from qudao.core.db.session import Database, set_job_sender
from qudao.core.outbox import JobOutbox
from tests import payments_support as support
from tests.fault_support import PrivateRedis, WorkerProcess, wait_until
from tests.payments_support import Doubles, make_shop, onboard_all, pay_by_card
from tests.test_wechat_plugin import BUYER_OPENID, bind_oauth, configure
from tests.wechat_support import OAuthFakeWeChat, running_fake

_localstripe, _connect, doubles, job_worker = (support._localstripe, support._connect, support.doubles,
                                               support.job_worker)


@pytest.fixture
def fake(client: Any) -> Iterator[OAuthFakeWeChat]:
    with running_fake() as server:
        yield server


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(tmp_path).start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture
def jobs_to_private_redis(private_redis: PrivateRedis) -> Iterator[RedisBroker]:
    """This process's jobs go to the private Redis (as a web pod's would), not the session's broker."""
    from qudao.workers import registry
    from qudao.workers.broker import send as session_send

    broker = RedisBroker(url=private_redis.url)
    registry.declare_all(broker)

    def send(actor: str, kwargs: dict[str, Any], delay_ms: int | None = None) -> None:
        broker.get_actor(actor).send_with_options(kwargs=kwargs, delay=delay_ms)

    set_job_sender(send)
    try:
        yield broker
    finally:
        set_job_sender(lambda actor, kwargs, delay_ms=None: session_send(actor, kwargs, delay_ms))
        broker.close()


def _unsent(ids_after: int) -> int:
    async def go() -> int:
        settings = get_settings()
        db = Database(settings.database_url, settings.db_app_role)
        try:
            async with db.sessions() as s:
                return int(await s.scalar(select(func.count()).where(
                    JobOutbox.sent_at.is_(None), JobOutbox.id > ids_after)) or 0)
        finally:
            await db.dispose()

    return run_sync(go())


def test_redis_down_during_placement_delivers_exactly_once(
        client: Any, doubles: Doubles, fake: OAuthFakeWeChat, private_redis: PrivateRedis,
        jobs_to_private_redis: RedisBroker, tmp_path: Path, monkeypatch: Any) -> None:
    from qudao.core.db.base import new_id

    monkeypatch.setattr(outbox, "GRACE", timedelta(seconds=1))
    shop = make_shop(client)
    onboard_all(shop, doubles)
    configure(shop.staff)
    bind_oauth(shop.buyer, fake, BUYER_OPENID)
    since = new_id()

    private_redis.stop()  # Redis goes away
    number = shop.order(qty=3)  # 201: the order is placed
    paid = pay_by_card(shop, number)
    assert paid["confirm"].status_code == 200, paid["confirm"].text
    assert shop.buyer.ok("get", f"/orders/{number}")["number"] == number
    assert _unsent(since) >= 2  # the WeChat notice and the payout, kept
    time.sleep(1.5)
    assert fake.sent == [] and doubles.connect.transfers == []

    private_redis.start()  # Redis is back (empty: it kept nothing)
    settings = get_settings()
    worker = WorkerProcess(settings, private_redis.url, tmp_path, wechat_base=fake.base_url,
                           stripe_payments=doubles.localstripe.base_url,
                           stripe_connect=doubles.connect.base_url).start()
    try:
        group = f"order:{shop.tenant_id}:{number}"

        def transfers() -> list[dict[str, Any]]:
            return [t for t in doubles.connect.transfers if t["transfer_group"] == group]

        def delivered() -> bool:
            return (len(transfers()) >= 2 and any(m["touser"] == BUYER_OPENID for m in fake.sent)
                    and _unsent(since) == 0)

        wait_until(delivered, 90, "the relayed jobs", on_fail=worker.output)
        time.sleep(4)  # two more relay rounds and any duplicate would have arrived
        per_party = Counter(t["metadata"]["party"] for t in transfers())
        assert per_party == Counter({"brand": 1, f"customer:{shop.distributor}": 1}), per_party
        to_buyer = Counter(m["template_id"] for m in fake.sent if m["touser"] == BUYER_OPENID)
        assert to_buyer["TPL_ORDER_SUBMITTED"] == 1 and set(to_buyer.values()) == {1}, to_buyer
        assert worker.alive(), worker.output()
    finally:
        worker.stop()
