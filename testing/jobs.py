"""Running the jobs that requests enqueued (after their transactions committed)."""

from __future__ import annotations


def run_jobs(timeout_ms: int = 60_000) -> None:
    """Wait until every enqueued job (delayed retries included) has run, on either broker.

    Jobs run in the test process: the in-process broker's worker, or (with
    ``QUDAO_TEST_REDIS_URL``) a worker that ``qudao_client`` started on Redis.
    """
    from dramatiq.brokers.redis import RedisBroker

    from qudao.workers.broker import _state, current_broker, join

    broker = current_broker()
    if isinstance(broker, RedisBroker):
        # qsize on Redis counts queued, delayed and unacknowledged messages: 0 means all done
        for queue in sorted(q for q in broker.get_declared_queues() if not q.endswith((".DQ", ".XQ"))):
            broker.join(queue, timeout=timeout_ms)
        worker = _state.get("worker")
        if worker is not None:
            worker.join()
    else:
        join(timeout_ms)
