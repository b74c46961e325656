"""``qudao worker``: run Dramatiq workers against Redis."""

from __future__ import annotations

import sys

import dramatiq
from dramatiq.cli import main as dramatiq_main

from qudao.core.config import get_settings
from qudao.workers.broker import setup_broker


def run_worker(processes: int = 1, threads: int = 4) -> int:
    settings = get_settings()
    from qudao.core.logging import configure_logging

    configure_logging(json=settings.log_json)
    if not settings.redis_url:
        print("QUDAO_REDIS_URL is not set: jobs run in-process inside `qudao serve`; no worker needed.")
        return 2
    setup_broker(settings, start_worker=False)
    assert dramatiq.get_broker() is not None
    # the outbox relay (workers/outbox.py) runs as a fork process next to the workers
    sys.argv = ["dramatiq", "qudao.workers.boot", "--processes", str(processes), "--threads", str(threads),
                "--fork-function", "qudao.workers.outbox:relay_forever"]
    return dramatiq_main()
