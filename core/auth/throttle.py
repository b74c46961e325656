"""Login throttling per account and per IP, stored in the shared database.

Failed attempts in the last ``WINDOW`` are counted; past the limit a login is
refused with the same message as a wrong password plus a retry hint.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.auth.models import LoginAttempt
from qudao.core.db.base import utcnow

WINDOW = timedelta(minutes=15)
MAX_PER_ACCOUNT = 10
MAX_PER_IP = 100


async def is_throttled(session: AsyncSession, account_key: str, ip: str) -> bool:
    since = utcnow() - WINDOW
    per_account = await session.scalar(
        select(func.count()).where(LoginAttempt.account_key == account_key, LoginAttempt.at >= since)
    )
    if (per_account or 0) >= MAX_PER_ACCOUNT:
        return True
    per_ip = await session.scalar(select(func.count()).where(LoginAttempt.ip == ip, LoginAttempt.at >= since))
    return (per_ip or 0) >= MAX_PER_IP


async def record_failure(session: AsyncSession, account_key: str, ip: str) -> None:
    session.add(LoginAttempt(account_key=account_key, ip=ip))


async def clear_failures(session: AsyncSession, account_key: str) -> None:
    await session.execute(delete(LoginAttempt).where(LoginAttempt.account_key == account_key))
