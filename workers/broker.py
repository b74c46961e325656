"""Dramatiq broker: Redis when ``QUDAO_REDIS_URL`` is set, otherwise in-process.

The in-process mode (embedded default and tests) uses Dramatiq's StubBroker with
a Worker running in this process, so jobs behave the same way, just locally.
Core hands jobs over through ``set_job_sender`` only after the transaction commits.
"""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO

from qudao.core.config import Settings
from qudao.core.db.session import set_job_sender

_state: dict[str, Any] = {}


def make_broker(redis_url: str | None) -> dramatiq.Broker:
    if redis_url:
        import os

        from dramatiq.brokers.redis import RedisBroker

        # how soon a dead worker's unacknowledged messages go back to the queue (Dramatiq's
        # heartbeat timeout, checked by the surviving workers' maintenance runs)
        broker: dramatiq.Broker = RedisBroker(
            url=redis_url, heartbeat_timeout=int(os.environ.get("QUDAO_REDIS_HEARTBEAT_MS") or 60_000),
            maintenance_chance=int(os.environ.get("QUDAO_REDIS_MAINTENANCE_CHANCE") or 1000))
    else:
        broker = StubBroker()
        broker.emit_after("process_boot")
    broker.add_middleware(AsyncIO())
    from qudao.workers.middleware import TenantMiddleware

    broker.add_middleware(TenantMiddleware())
    return broker


def setup_broker(settings: Settings, *, start_worker: bool = True) -> dramatiq.Broker:
    """Install the broker, import every actor, and (in-process mode) start a worker."""
    if "broker" in _state:
        return _state["broker"]
    broker = make_broker(settings.redis_url)
    dramatiq.set_broker(broker)
    from qudao.workers import registry

    registry.declare_all(broker)
    _state["broker"] = broker
    set_job_sender(lambda actor, kwargs, delay_ms=None: send(actor, kwargs, delay_ms))
    if start_worker and settings.redis_url is None:
        start_local_worker()
    return broker


def start_local_worker(threads: int = 2) -> dramatiq.Worker:
    """A worker thread in this process (the in-process default, and tests on Redis)."""
    worker = _state.get("worker")
    if worker is None:
        worker = dramatiq.Worker(_state["broker"], worker_threads=threads, worker_timeout=100)
        worker.start()
        _state["worker"] = worker
    return worker


def send(actor_name: str, kwargs: dict[str, Any], delay_ms: int | None = None) -> None:
    """Send one job; with ``delay_ms`` it goes to the queue's delay queue (``default.DQ``) with an
    ``eta`` and a worker moves it to the queue when due (Redis and the in-process StubBroker alike)."""
    broker: dramatiq.Broker = _state["broker"]
    if actor_name not in broker.actors:
        from qudao.workers import registry

        registry.declare_all(broker)  # a job module imported after start
    actor = broker.get_actor(actor_name)
    actor.send_with_options(kwargs=kwargs, delay=delay_ms)


def shutdown_broker() -> None:
    worker = _state.pop("worker", None)
    if worker is not None:
        worker.stop()
    broker = _state.pop("broker", None)
    if broker is not None:
        broker.close()
    set_job_sender(None)


def current_broker() -> dramatiq.Broker | None:
    return _state.get("broker")


def join(timeout_ms: int = 30_000) -> None:
    """Tests: wait until the queues are empty and the local worker is idle (stub or Redis)."""
    broker = _state.get("broker")
    worker = _state.get("worker")
    if broker is None:
        return
    for queue in list(broker.get_declared_queues()):
        if isinstance(broker, StubBroker):
            broker.join(queue, timeout=timeout_ms, fail_fast=False)
        else:
            broker.join(queue, timeout=timeout_ms)
    if worker is not None:
        worker.join()
