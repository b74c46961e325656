"""WeChat delivery: the token store, sending one message row, re-sends and the sweep.

Flow (every step idempotent):

1. An order hook (inside the order's transaction, sync, no queries) enqueues
   ``wechat.notify(order_id, event, note)`` after commit.
2. ``wechat.notify`` finds the recipients and inserts one ``wechat_messages`` row per
   (event id, recipient) with ``INSERT … ON CONFLICT DO NOTHING`` on the unique key, so the
   same event twice never makes a second row; each new row gets a ``wechat.send`` job.
3. ``wechat.send`` re-reads the row, claims it (conditional UPDATE to ``sending``, so two
   deliveries of one job cannot both send), sends with no transaction open, and records
   the answer: ``sent``; ``failed_permanent`` (not retried); ``retry_later`` (daily quota or
   credentials needing a human; ``next_attempt_at`` is set and :func:`sweep` re-enqueues it
   when due); or back to ``queued`` and the job raises so Dramatiq retries it (network, 5xx,
   busy). With no AppID configured the row becomes ``outbox``; if the recipient has no
   WeChat bound it becomes ``skipped``.

Besides order events: ``low_stock`` (``qudao_stock_low`` → ``wechat.low_stock``, one message
per product, warehouse and day to owners, admins and warehouse staff) and ``credit_warning``
(``qudao_credit_alert`` → ``wechat.credit_warning``, one per customer, kind and day to the
customer's buyers). Their event ids carry the business day (brand time zone), so a stock level
or credit balance flapping around its threshold messages once a day, not on every crossing.

Quota errors (45009) are re-sent by a delayed ``wechat.send`` job with backoff
(:data:`QUOTA_RETRY_DELAYS`, 1 min, 5 min, 30 min by default; ``QUDAO_WECHAT_QUOTA_RETRY_DELAYS``
overrides it, in seconds, comma-separated); after the last one the message is
``failed_permanent``. The claim (conditional UPDATE to ``sending``) keeps a re-send, the sweep
and an admin's "send again" from ever sending one message twice.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from qudao.core.config import get_settings
from qudao.core.db.base import new_id, utcnow
from qudao.core.db.session import bind_tenant, enqueue_after_commit
from qudao.core.plugins.context import TenantContext
from qudao.plugins.wechat import crypto
from qudao.plugins.wechat.client import WeChatClient
from qudao.plugins.wechat.common import PLUGIN, Account, account, dialect_insert, template_for
from qudao.plugins.wechat.models import (
    FAILED_PERMANENT,
    FINAL,
    OUTBOX,
    QUEUED,
    RETRY_LATER,
    SENDING,
    SENT,
    SKIPPED,
    WeChatBinding,
    WeChatMessage,
    WeChatToken,
)

QUOTA_ERRCODES = frozenset({45009})


QUOTA_RETRY_DELAYS = (60.0, 300.0, 1800.0)  # seconds before each timed re-send after a quota error


LEASE = timedelta(minutes=5)  # a claimed message whose worker died is sendable again after this


STALE_QUEUED = timedelta(minutes=10)  # queued rows whose job got lost are re-enqueued by the sweep


MAX_ATTEMPTS = 30


DEFAULT_RETRY_LATER = 3600.0  # seconds, when WeChat gives no hint (credentials, IP whitelist)


DUE_SLACK = timedelta(seconds=1)  # a timed re-send arriving this close to its time counts as due


class TransientSendError(Exception):
    """Raised by ``wechat.send`` so Dramatiq retries the job (network error, 5xx, system busy)."""


def quota_retry_delays() -> tuple[float, ...]:
    """Seconds to wait before each timed re-send after a quota error (read at call time)."""
    raw = os.environ.get("QUDAO_WECHAT_QUOTA_RETRY_DELAYS")
    if raw is None or not raw.strip():
        return QUOTA_RETRY_DELAYS
    try:
        delays = tuple(float(x) for x in raw.split(",") if x.strip())
    except ValueError:
        return QUOTA_RETRY_DELAYS
    return tuple(d for d in delays if 0 <= d <= 7 * 86400) or QUOTA_RETRY_DELAYS


async def sweep(ctx: TenantContext) -> int:
    """Re-enqueue messages that are due again: ``retry_later`` past ``next_attempt_at`` and
    ``queued``/``sending`` rows whose job was lost. Returns how many were enqueued."""
    session, now = ctx.session, utcnow()
    due = (await session.scalars(select(WeChatMessage.id).where(
        ((WeChatMessage.status == RETRY_LATER) & (WeChatMessage.next_attempt_at <= now))
        | ((WeChatMessage.status == QUEUED) & (WeChatMessage.updated_at < now - STALE_QUEUED))
        | ((WeChatMessage.status == SENDING) & (WeChatMessage.claimed_at < now - LEASE))
    ).limit(500))).all()
    for message_id in due:
        enqueue_after_commit(session, "wechat.send", message_id=message_id)
    await session.commit()
    return len(due)


class DbTokenStore:
    """The client's TokenStore on ``wechat_tokens``, shared by every worker process.

    Each call uses its own short transaction, so no database lock is held while the
    client talks to WeChat (SQLite takes the write lock at BEGIN).
    """

    def __init__(self, engine: AsyncEngine, tenant_id: int) -> None:
        self.engine = engine
        self.tenant_id = tenant_id

    async def get(self, key: str) -> str | None:
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            await bind_tenant(session, self.tenant_id)
            row = await session.scalar(select(WeChatToken).where(WeChatToken.cache_key == key))
            await session.commit()
        if row is None or row.expires_at <= utcnow():
            return None
        return crypto.reveal(row.token) or None

    async def set(self, key: str, token: str, ttl: float) -> None:
        now = utcnow()
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            await bind_tenant(session, self.tenant_id)
            table = WeChatToken.__table__
            values = {"token": crypto.encrypt(token), "expires_at": now + timedelta(seconds=max(ttl, 0)),
                      "updated_at": now}
            stmt = dialect_insert(session)(table).values(tenant_id=self.tenant_id, id=new_id(), cache_key=key, **values)
            stmt = stmt.on_conflict_do_update(index_elements=["tenant_id", "cache_key"], set_=values)
            await session.execute(stmt)
            await session.commit()


def client_for(session: AsyncSession, tenant_id: int, acct: Account, timeout: float = 10) -> WeChatClient:
    """The brand's API client; its access token is cached in ``wechat_tokens`` (one per account),
    shared by message delivery and the binding page's QR codes."""
    return WeChatClient(get_settings().wechat_api_base, acct.appid, acct.secret,
                        DbTokenStore(session.bind, tenant_id),  # type: ignore[arg-type]
                        cache_key=f"wechat:{tenant_id}:{acct.appid}", timeout=timeout)


async def _record(session: AsyncSession, message_id: int, expect: str, **values: Any) -> int:
    result = await session.execute(
        update(WeChatMessage).where(WeChatMessage.id == message_id, WeChatMessage.status == expect)
        .values(updated_at=utcnow(), **values).execution_options(synchronize_session=False))
    await session.commit()
    return int(result.rowcount or 0)


async def send(ctx: TenantContext, message_id: int) -> str:
    """Deliver one message (the ``wechat.send`` job). Returns the final status it recorded."""
    session = ctx.session
    tenant_id = ctx.tenant.id
    msg = await session.get(WeChatMessage, (tenant_id, message_id))
    if msg is None or msg.status in FINAL:
        return msg.status if msg is not None else "missing"
    now = utcnow()
    status = msg.status
    if status == SENDING and msg.claimed_at is not None and now - msg.claimed_at < LEASE:
        await session.commit()
        raise TransientSendError(f"message {message_id} is being sent by another worker")
    if status == RETRY_LATER and msg.next_attempt_at is not None and msg.next_attempt_at > now + DUE_SLACK:
        await session.commit()
        return RETRY_LATER  # not due yet; its timed re-send (or the sweep) comes back for it
    settings = ctx.settings(PLUGIN)
    acct = account(settings)
    if acct is None:
        await _record(session, message_id, status, status=OUTBOX, errmsg="no WeChat account configured")
        return OUTBOX
    binding = await session.scalar(select(WeChatBinding).where(WeChatBinding.user_id == msg.user_id))
    if binding is None:
        await _record(session, message_id, status, status=SKIPPED, errmsg="recipient has no WeChat bound")
        return SKIPPED
    template_id = template_for(settings, msg.event)
    if not template_id:
        await _record(session, message_id, status, status=FAILED_PERMANENT,
                      errmsg=f"no template id set for {msg.event}")
        return FAILED_PERMANENT
    attempt = msg.attempts + 1  # the number of this attempt
    if msg.attempts >= MAX_ATTEMPTS:
        await _record(session, message_id, status, status=FAILED_PERMANENT,
                      errmsg=f"gave up after {msg.attempts} attempts; last: {msg.errmsg or ''}"[:300])
        return FAILED_PERMANENT
    claimed = await _record(session, message_id, status, status=SENDING, claimed_at=now,
                            attempts=WeChatMessage.attempts + 1, openid=binding.openid, template_id=template_id)
    if claimed != 1:
        raise TransientSendError(f"message {message_id} changed meanwhile")
    # No transaction is open from here until the answer is recorded.
    client = client_for(session, tenant_id, acct)
    result = await client.send_template_async(binding.openid, template_id, msg.data or {}, msg.url,
                                              client_msg_id=f"qd{tenant_id}m{message_id}")
    common = {"errcode": result.errcode, "errmsg": (result.errmsg or "")[:300], "claimed_at": None}
    if result.status == "sent":
        await _record(session, message_id, SENDING, status=SENT, msgid=result.msgid, sent_at=utcnow(), **common)
        return SENT
    if result.status == "permanent":
        await _record(session, message_id, SENDING, status=FAILED_PERMANENT, **common)
        return FAILED_PERMANENT
    if result.status == "retry_later" and result.errcode in QUOTA_ERRCODES:
        return await _after_quota_error(session, message_id, attempt, common)
    if result.status == "retry_later":
        wait = result.retry_after if result.retry_after is not None else DEFAULT_RETRY_LATER
        await _record(session, message_id, SENDING, status=RETRY_LATER,
                      next_attempt_at=utcnow() + timedelta(seconds=wait), **common)
        return RETRY_LATER
    await _record(session, message_id, SENDING, status=QUEUED, **common)
    raise TransientSendError(f"WeChat send failed, will retry: {result.errcode} {result.errmsg}")


async def _after_quota_error(session: AsyncSession, message_id: int, attempt: int, common: dict[str, Any]) -> str:
    """Schedule a timed re-send with backoff (a delayed ``wechat.send``), or give up after the
    last delay. The delayed job is sent only if this state is committed."""
    delays = quota_retry_delays()
    if attempt > len(delays):
        common = {**common, "errmsg": f"gave up after {attempt} attempts (quota): {common['errmsg']}"[:300]}
        await _record(session, message_id, SENDING, status=FAILED_PERMANENT, next_attempt_at=None, **common)
        return FAILED_PERMANENT
    wait = delays[attempt - 1]
    enqueue_after_commit(session, "wechat.send", message_id=message_id, delay_ms=int(wait * 1000))
    await _record(session, message_id, SENDING, status=RETRY_LATER,
                  next_attempt_at=utcnow() + timedelta(seconds=wait), **common)
    return RETRY_LATER


async def requeue(ctx: TenantContext, message_id: int) -> bool:
    """Admin "send again" for a message that is waiting (retry_later) or failed."""
    msg = await ctx.session.get(WeChatMessage, (ctx.tenant.id, message_id))
    if msg is None or msg.status not in (RETRY_LATER, FAILED_PERMANENT, QUEUED, SKIPPED):
        return False
    await ctx.session.execute(
        update(WeChatMessage).where(WeChatMessage.id == message_id, WeChatMessage.status == msg.status)
        .values(status=QUEUED, next_attempt_at=None, attempts=0, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    enqueue_after_commit(ctx.session, "wechat.send", message_id=message_id)
    await ctx.session.commit()
    return True
