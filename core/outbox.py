"""Transactional job outbox: a job cannot be lost between the commit and the broker.

``enqueue_after_commit`` (core/db/session.py) keeps the job in the unit of work; just
before the commit the unit's jobs are written here in ONE multi-row INSERT, in the same
transaction as the change that caused them. After the commit they are sent at once
(the fast path) and marked sent. If the broker is unreachable then (Redis down, the
process killed between commit and send), the rows stay unsent and ``relay_once`` —
run in a loop by ``qudao worker`` and by the embedded in-process mode — sends them
later, with a growing back-off, and marks them sent. A job may so arrive twice (a send
that reached the broker but whose mark did not), which is harmless: every job is
idempotent.

The table is global (like ``login_attempts``): the relay reads every tenant's rows,
and each row's kwargs carry its ``tenant_id`` as every job message does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import JSON, Index, String, Text, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from qudao.core.db.base import Base, utcnow
from qudao.core.db.columns import Count, CreatedAt, GlobalId

log = structlog.get_logger("qudao.outbox")

# How long the fast path has to mark a row sent before the relay sends it itself.
GRACE = timedelta(seconds=10)
MAX_BACKOFF_S = 300
BATCH = 200

Sender = Callable[[str, dict[str, Any], int | None], None]


class JobOutbox(Base):
    """One job written with the transaction that caused it; ``sent_at`` once it reached the broker."""

    __tablename__ = "job_outbox"

    id: Mapped[GlobalId]
    actor: Mapped[str] = mapped_column(String(200))
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[CreatedAt]
    run_after: Mapped[datetime]  # created_at + the job's delay
    next_try_at: Mapped[datetime]
    attempts: Mapped[Count]
    sent_at: Mapped[datetime | None] = mapped_column()  # assigned: the index below uses it
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_job_outbox_unsent", "next_try_at", postgresql_where=sent_at.is_(None),
              sqlite_where=sent_at.is_(None)),
    )


def write(session: Session, jobs: list[tuple[int, str, dict[str, Any], int | None]]) -> None:
    """The unit of work's jobs, in one INSERT on the session's own transaction."""
    now = utcnow()
    rows = []
    for job_id, actor, kwargs, delay_ms in jobs:
        run_after = now + timedelta(milliseconds=delay_ms or 0)
        rows.append({"id": job_id, "actor": actor, "kwargs": kwargs, "created_at": now, "run_after": run_after,
                     "next_try_at": run_after + GRACE, "attempts": 0})
    session.execute(insert(JobOutbox.__table__).values(rows))


def mark_sent(session: Session, ids: list[int]) -> None:
    """After the fast path sent them: mark the rows on a short side connection (the
    session's own transaction has committed). A failure only means the relay re-sends."""
    if not ids:
        return
    try:
        from qudao.core.db.session import side_engine_for

        side = side_engine_for(session)
        if side is None:
            return
        with side.sync_engine.begin() as conn:
            conn.execute(update(JobOutbox.__table__).where(JobOutbox.__table__.c.id.in_(ids))
                         .values(sent_at=utcnow()))
    except Exception as exc:  # noqa: BLE001 - the relay covers it
        log.warning("outbox_mark_failed", ids=len(ids), error=repr(exc))


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(MAX_BACKOFF_S, 2 ** min(attempts, 12)))


async def relay_once(db: Any, send: Sender, *, now: datetime | None = None, limit: int = BATCH) -> int:
    """Send the unsent rows that are due; mark each sent, or back it off. Returns how many were sent.

    On PostgreSQL rows are claimed with ``FOR UPDATE SKIP LOCKED``, so several relays
    (worker pods) never send the same row at once.
    """
    now = now or utcnow()
    sent = 0
    async with db.sessions() as session:
        rows = (await session.scalars(
            select(JobOutbox).where(JobOutbox.sent_at.is_(None), JobOutbox.next_try_at <= now)
            .order_by(JobOutbox.next_try_at).limit(limit).with_for_update(skip_locked=True)
        )).all()
        for row in rows:
            remaining = int((row.run_after - now).total_seconds() * 1000)
            try:
                send(row.actor, dict(row.kwargs), remaining if remaining > 0 else None)
            except Exception as exc:  # noqa: BLE001 - the broker is down: try again later
                row.attempts += 1
                row.next_try_at = now + backoff(row.attempts)
                row.last_error = repr(exc)[:500]
                log.warning("outbox_send_failed", actor=row.actor, attempts=row.attempts, error=repr(exc))
                continue
            row.sent_at = now
            row.attempts += 1
            sent += 1
        await session.commit()
    if sent:
        log.info("outbox_relayed", sent=sent)
    await _prune(db, now)
    return sent


KEEP_SENT = timedelta(days=7)
PRUNE_EVERY = timedelta(hours=1)
_last_prune: dict[int, datetime] = {}


async def _prune(db: Any, now: datetime) -> None:
    """Sent rows are kept a week (to look into a delivery), then deleted, at most hourly per process."""
    from sqlalchemy import delete

    last = _last_prune.get(id(db))
    if last is not None and now - last < PRUNE_EVERY:
        return
    _last_prune[id(db)] = now
    async with db.sessions() as session:
        await session.execute(delete(JobOutbox).where(JobOutbox.sent_at.is_not(None),
                                                      JobOutbox.sent_at < now - KEEP_SENT))
        await session.commit()


async def unsent_count(db: Any) -> int:
    from sqlalchemy import func

    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).where(JobOutbox.sent_at.is_(None))) or 0)
