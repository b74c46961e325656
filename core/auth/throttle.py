"""Login throttling that an attacker cannot turn into a lockout of the account's owner.

Failures logged in ``login_attempts`` over ``WINDOW`` are counted per scope:

- the pair (account, client IP), since that pair's last success: past ``MAX_PER_PAIR``
  this IP is refused for this account (429);
- the client IP, over all accounts: past ``MAX_PER_IP`` it is refused for every account;
- the account from everywhere: past ``SLOW_AFTER`` an attempt from a browser that is not
  a known device of the account is *slowed* (a delay growing with the failures, capped
  at ``MAX_DELAY``), never refused, so the owner on another network still gets in;
- a known device (``devices.py``: a signed cookie from an earlier sign-in to this
  account) skips the three rules above and has its own limit, ``MAX_PER_DEVICE``.

The account key is the tenant and the typed email whether or not such a user exists, so
throttling answers an unknown email exactly as it answers a wrong password. Every attempt
(ok, failed, throttled) is kept and written to the log.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.auth.models import LoginAttempt
from qudao.core.db.base import utcnow

WINDOW = timedelta(minutes=15)
MAX_PER_PAIR = 10
MAX_PER_IP = 100
MAX_PER_DEVICE = 10
SLOW_AFTER = 10
MAX_DELAY = 3.0
KEEP = timedelta(days=30)

log = structlog.get_logger("qudao.auth")


@dataclass(frozen=True)
class Attempt:
    account_key: str
    ip: str
    device: str | None = None  # a known device of this account (proved by its cookie)


@dataclass(frozen=True)
class Verdict:
    refused: bool
    delay: float  # seconds to wait before checking the password


def _failures(*where: object, since_ok: tuple[object, ...] | None = None) -> object:
    """Failures in the window matching ``where`` (after the last success matching ``since_ok``)."""
    since = utcnow() - WINDOW
    conds = [LoginAttempt.outcome == "failed", LoginAttempt.at >= since, *where]
    if since_ok is not None:
        last_ok = (select(func.max(LoginAttempt.at)).where(LoginAttempt.outcome == "ok", *since_ok)
                   .scalar_subquery())
        conds.append(LoginAttempt.at > func.coalesce(last_ok, since))
    return select(func.count()).where(and_(*conds)).scalar_subquery()


def delay_for(account_failures: int) -> float:
    """Half a second past the threshold, half a second more per further ten failures, capped."""
    if account_failures < SLOW_AFTER:
        return 0.0
    return min(MAX_DELAY, 0.5 * (1 + (account_failures - SLOW_AFTER) // 10))


async def verdict(session: AsyncSession, attempt: Attempt) -> Verdict:
    """One statement counts every scope the attempt falls in."""
    key, ip = LoginAttempt.account_key == attempt.account_key, LoginAttempt.ip == attempt.ip
    if attempt.device is not None:
        dev = LoginAttempt.device == attempt.device
        n = await session.scalar(select(_failures(key, dev, since_ok=(key, dev))))
        return Verdict(refused=(n or 0) >= MAX_PER_DEVICE, delay=0.0)
    row = (await session.execute(select(
        _failures(key, ip, since_ok=(key, ip)),
        _failures(ip),
        _failures(key),
    ))).one()
    pair, per_ip, account = (int(x or 0) for x in row)
    return Verdict(refused=pair >= MAX_PER_PAIR or per_ip >= MAX_PER_IP, delay=delay_for(account))


async def slow_down(v: Verdict) -> None:
    if v.delay > 0:
        await asyncio.sleep(v.delay)


def record(session: AsyncSession, attempt: Attempt, outcome: str) -> None:
    """Log the attempt (the caller commits); successes also prune rows past ``KEEP``."""
    session.add(LoginAttempt(account_key=attempt.account_key, ip=attempt.ip, outcome=outcome,
                             device=attempt.device))
    log.info("login_attempt", account=attempt.account_key, ip=attempt.ip, outcome=outcome,
             known_device=attempt.device is not None)


async def prune(session: AsyncSession) -> None:
    from sqlalchemy import delete

    await session.execute(delete(LoginAttempt).where(LoginAttempt.at < utcnow() - KEEP))
