"""Writing and reading audit entries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.audit.models import AuditEntry


def _plain(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """JSON-safe values: money as its decimal string, never a float."""
    if values is None:
        return None
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in values.items()}


def record(session: AsyncSession, action: str, target: str, before: dict[str, Any] | None,
           after: dict[str, Any] | None, *, user_id: int | None = None, user_email: str = "") -> AuditEntry | None:
    """Add an entry to the current transaction; nothing when before and after are equal."""
    before, after = _plain(before), _plain(after)
    if before == after:
        return None
    entry = AuditEntry(action=action[:60], target=target[:300], before=before, after=after, user_id=user_id,
                       user_email=user_email[:254])
    session.add(entry)
    return entry


async def entries(session: AsyncSession, *, action: str | None = None, target: str | None = None,
                  limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Newest first, as views; ``action`` matches a prefix (``price`` or ``price.tier``), ``target`` exactly."""
    from qudao.core.auth.models import User

    where = []
    if action:
        where.append(AuditEntry.action.startswith(action, autoescape=True))
    if target:
        where.append(AuditEntry.target == target)
    rows = (await session.scalars(select(AuditEntry).where(*where).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                                  .limit(limit).offset(offset))).all()
    total = await session.scalar(select(func.count()).select_from(AuditEntry).where(*where))
    # entries written where only a user id was at hand take the email from the users table
    missing = {r.user_id for r in rows if r.user_id is not None and not r.user_email}
    emails = dict((await session.execute(select(User.id, User.email).where(User.id.in_(missing)))).all()
                  ) if missing else {}
    return [entry_view(r, emails.get(r.user_id)) for r in rows], int(total or 0)


def entry_view(e: AuditEntry, email: str | None = None) -> dict[str, Any]:
    return {"at": e.at.isoformat(), "user": e.user_email or email or None, "action": e.action, "target": e.target,
            "before": e.before, "after": e.after}
