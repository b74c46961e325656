"""The outbox relay (core/outbox.py): re-sends jobs whose fast-path send after commit
failed. ``qudao worker`` runs it as a Dramatiq fork process (``relay_forever``); the
embedded mode (``qudao serve`` without Redis) runs ``relay_loop`` on the app's loop."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

from qudao.core import outbox

log = structlog.get_logger("qudao.outbox")
INTERVAL_S = 2.0


async def relay_loop(db: Any, send: outbox.Sender | None = None, *, interval: float = INTERVAL_S,
                     stop: asyncio.Event | None = None) -> None:
    """Relay due rows every ``interval`` seconds until ``stop`` is set; survives database errors.
    Sends through the process's installed job sender unless ``send`` is given."""
    from qudao.core.db.session import send_job

    send = send or send_job
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            await outbox.relay_once(db, send)
        except Exception as exc:  # noqa: BLE001 - the database may be restarting: try again
            log.warning("outbox_relay_error", error=repr(exc))
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass


def relay_forever() -> int:
    """Dramatiq ``--fork-function``: one relay process next to the worker processes."""
    from qudao.core.config import get_settings
    from qudao.core.db.session import Database
    from qudao.core.logging import configure_logging
    from qudao.workers.broker import setup_broker

    settings = get_settings()
    configure_logging(json=settings.log_json)
    setup_broker(settings, start_worker=False)

    async def main() -> None:
        db = Database(settings.database_url, settings.db_app_role)
        try:
            await relay_loop(db)
        finally:
            await db.dispose()

    asyncio.run(main())
    return 0
