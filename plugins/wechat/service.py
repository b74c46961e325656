"""WeChat notifications: who gets what for which event, the token store, and delivery.

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

Template data (each value at most 20 characters, WeChat's 2023 rules) uses these keys, so
the tenant picks templates with matching fields in its official-account console:
``character_string1`` order number (low stock: SKU), ``phrase2`` status, ``time3`` time,
``amount4`` total, ``thing5`` customer / reason / carrier / product name / credit message,
``character_string6`` tracking number, ``number7`` available quantity, ``thing8`` warehouse.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from qudao.core.auth.models import User
from qudao.core.catalog.models import Product
from qudao.core.config import get_settings
from qudao.core.customers.models import Customer
from qudao.core.db.base import new_id, utcnow
from qudao.core.db.session import bind_tenant, enqueue_after_commit
from qudao.core.inventory.models import Stock, Warehouse
from qudao.core.inventory.service import available_expr, counts_in_transit
from qudao.core.money import fmt
from qudao.core.orders.models import Order
from qudao.core.plugins.context import TenantContext
from qudao.plugins.wechat import crypto
from qudao.plugins.wechat.client import WeChatClient
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
    WeChatQrCode,
    WeChatToken,
)

PLUGIN = "wechat"
# event -> (audience, label)
EVENTS: dict[str, tuple[str, str]] = {
    "order_submitted": ("buyer", "Order submitted"),
    "order_approved": ("buyer", "Order approved"),
    "order_rejected": ("buyer", "Order rejected"),
    "order_shipped": ("buyer", "Order shipped"),
    "order_delivered": ("buyer", "Order delivered"),
    "staff_new_order": ("staff", "New order to approve"),
    "low_stock": ("staff", "Low stock"),
    "credit_warning": ("buyer", "Credit warning"),
    "customer_notice": ("buyer", "Notices from other plugins (rebates, tasks)"),
}
ORDER_EVENTS = ("order_submitted", "order_approved", "order_rejected", "order_shipped", "order_delivered",
                "staff_new_order")
STATUS_EVENTS = {"approved": "order_approved", "rejected": "order_rejected", "shipped": "order_shipped",
                 "delivered": "order_delivered"}
PHRASES = {"order_submitted": "已提交", "order_approved": "已审核", "order_rejected": "已驳回",
           "order_shipped": "已发货", "order_delivered": "已送达", "staff_new_order": "待审核",
           "low_stock": "库存不足"}
CREDIT_PHRASES = {"near_limit": "额度将满", "over_limit": "超出额度"}
APPROVER_ROLES = ("owner", "admin", "order_clerk")
STOCK_ROLES = ("owner", "admin", "warehouse")  # who hears about low stock
MAX_LOW_STOCK_PRODUCTS = 200  # per event; a bigger batch is cut (the admin's low-stock page has all)
QUOTA_ERRCODES = frozenset({45009})
QUOTA_RETRY_DELAYS = (60.0, 300.0, 1800.0)  # seconds before each timed re-send after a quota error
LEASE = timedelta(minutes=5)  # a claimed message whose worker died is sendable again after this
STALE_QUEUED = timedelta(minutes=10)  # queued rows whose job got lost are re-enqueued by the sweep
MAX_ATTEMPTS = 30
DEFAULT_RETRY_LATER = 3600.0  # seconds, when WeChat gives no hint (credentials, IP whitelist)
DUE_SLACK = timedelta(seconds=1)  # a timed re-send arriving this close to its time counts as due


class TransientSendError(Exception):
    """Raised by ``wechat.send`` so Dramatiq retries the job (network error, 5xx, system busy)."""


# --- settings --------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    appid: str
    secret: str


def account(settings: dict[str, Any]) -> Account | None:
    """The tenant's official account, or None when no AppID is set (messages go to the outbox)."""
    appid = str(settings.get("app_id") or "").strip()
    if not appid:
        return None
    return Account(appid, crypto.reveal(settings.get("app_secret")))


def event_on(settings: dict[str, Any], event: str) -> bool:
    value = settings.get(f"on_{event}", True)
    return value is not False and str(value).lower() not in ("false", "0", "off", "no")


def template_for(settings: dict[str, Any], event: str) -> str:
    return str(settings.get(f"tpl_{event}") or "").strip()


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


# --- events -> rows --------------------------------------------------------------


def event_id(order_id: int, event: str) -> str:
    return f"order:{order_id}:{event}"


def _insert(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return pg_insert if dialect == "postgresql" else sqlite_insert


async def recipients(session: AsyncSession, order: Order, audience: str) -> list[User]:
    stmt = select(User).where(User.active.is_(True))
    if audience == "staff":
        stmt = stmt.where(User.kind == "staff", User.role.in_(APPROVER_ROLES))
    else:
        if order.customer_id is None:  # a guest order: no login to notify
            return []
        stmt = stmt.where(User.kind == "customer", User.customer_id == order.customer_id)
    return list((await session.scalars(stmt.order_by(User.id))).all())


def template_data(event: str, order: Order, customer_name: str, tz: str, note: str) -> dict[str, str]:
    when = utcnow().astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    data = {"character_string1": order.number, "phrase2": PHRASES[event], "time3": when}
    if event in ("order_submitted", "staff_new_order"):
        data["amount4"] = f"¥{fmt(order.total, order.currency)}" if order.currency == "CNY" else \
            f"{fmt(order.total, order.currency)} {order.currency}"
        data["thing5"] = customer_name or "-"
    elif event == "order_rejected":
        data["thing5"] = note.strip() or "-"
    elif event == "order_shipped":
        data["thing5"] = (order.carrier or "").strip() or "-"
        data["character_string6"] = (order.tracking_number or "").strip() or "-"
    return {k: (v if v else "-") for k, v in data.items()}


async def notify(ctx: TenantContext, order_id: int, event: str, note: str = "", site: str | None = None) -> list[int]:
    """Create the message rows for one order event; returns the ids of rows created now."""
    if event not in ORDER_EVENTS:
        return []
    settings = ctx.settings(PLUGIN)
    if not event_on(settings, event):
        return []
    session = ctx.session
    tenant_id, slug, tz = ctx.tenant.id, ctx.tenant.slug, ctx.tenant.timezone
    order = await session.get(Order, (tenant_id, order_id))
    if order is None:
        return []
    audience = EVENTS[event][0]
    users = await _bound_only(ctx, await recipients(session, order, audience))
    if not users:
        return []
    customer_name = ""
    if order.customer_id is not None:
        customer = await session.get(Customer, (tenant_id, order.customer_id))
        customer_name = customer.name if customer else ""
    elif order.guest:
        customer_name = str(order.guest.get("name") or "")
    data = template_data(event, order, customer_name, tz, note)
    path = f"/admin/orders/{order.number}" if audience == "staff" else f"/orders/{order.number}"
    return await create_messages(ctx, event, {event_id(order.id, event): (users, data)}, url=_link(site, slug, path),
                                 order_number=order.number)


def _link(site: str | None, slug: str, path: str) -> str | None:
    if site and site.startswith(("http://", "https://")):
        return f"{site.rstrip('/')}/t/{slug}{path}"
    return None


async def _bound_only(ctx: TenantContext, users: list[User]) -> list[User]:
    """With an account configured, only people who bound their WeChat get a row."""
    if account(ctx.settings(PLUGIN)) is None or not users:
        return users
    bound = set((await ctx.session.scalars(select(WeChatBinding.user_id).where(
        WeChatBinding.user_id.in_([u.id for u in users])))).all())
    return [u for u in users if u.id in bound]


def _when(tz: str) -> str:
    return utcnow().astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


async def create_messages(ctx: TenantContext, event: str, batches: dict[str, tuple[list[User], dict[str, str]]], *,
                          url: str | None = None, order_number: str | None = None,
                          urls: dict[str, str | None] | None = None) -> list[int]:
    """Insert one row per (event id, recipient) – ``INSERT … ON CONFLICT DO NOTHING`` on the
    unique key, so a repeated event makes nothing new – enqueue ``wechat.send`` for each new
    row after commit, and commit. ``batches`` maps an event id to its recipients and data."""
    session = ctx.session
    insert = _insert(session)
    table = WeChatMessage.__table__
    created: list[int] = []
    now = utcnow()
    for eid, (users, data) in batches.items():
        values = {k: (v if v else "-") for k, v in data.items()}
        for user in users:
            stmt = (insert(table).values(
                tenant_id=ctx.tenant.id, id=new_id(), event_id=eid, event=event, user_id=user.id,
                recipient=user.email, order_number=order_number, data=values,
                url=(urls or {}).get(eid, url), status=QUEUED, attempts=0, created_at=now, updated_at=now,
            ).on_conflict_do_nothing(index_elements=["tenant_id", "event_id", "user_id"]).returning(table.c.id))
            new = (await session.execute(stmt)).scalar_one_or_none()
            if new is not None:
                created.append(new)
                enqueue_after_commit(session, "wechat.send", message_id=new)
    await session.commit()
    return created


async def staff_with_roles(session: AsyncSession, roles: tuple[str, ...]) -> list[User]:
    return list((await session.scalars(select(User).where(
        User.active.is_(True), User.kind == "staff", User.role.in_(roles)).order_by(User.id))).all())


def low_stock_event_id(warehouse_id: int, product_id: int, day: str) -> str:
    return f"low_stock:{warehouse_id}:{product_id}:{day}"


async def notify_low_stock(ctx: TenantContext, warehouse_id: int, product_ids: list[int], day: str,
                           site: str | None = None) -> list[int]:
    """One ``low_stock`` message per product (warehouse, business day) to owners, admins and
    warehouse staff. Re-reads the stock: a product no longer at or below its threshold (stock
    received meanwhile) is not reported."""
    if not event_on(ctx.settings(PLUGIN), "low_stock") or not product_ids:
        return []
    session = ctx.session
    users = await _bound_only(ctx, await staff_with_roles(session, STOCK_ROLES))
    if not users:
        return []
    avail = available_expr(counts_in_transit(ctx.tenant))
    rows = (await session.execute(
        select(Product.id, Product.sku, Product.name, Warehouse.name, avail, Stock.low_threshold)
        .join(Product, (Product.id == Stock.product_id) & (Product.tenant_id == Stock.tenant_id))
        .join(Warehouse, (Warehouse.id == Stock.warehouse_id) & (Warehouse.tenant_id == Stock.tenant_id))
        .where(Stock.warehouse_id == warehouse_id, Stock.product_id.in_(product_ids[:MAX_LOW_STOCK_PRODUCTS]),
               Stock.low_threshold.is_not(None), avail <= Stock.low_threshold)
        .order_by(Product.sku))).all()
    when = _when(ctx.tenant.timezone)
    batches: dict[str, tuple[list[User], dict[str, str]]] = {}
    urls: dict[str, str | None] = {}
    for product_id, sku, name, warehouse, available, _threshold in rows:
        eid = low_stock_event_id(warehouse_id, product_id, day)
        batches[eid] = (users, {"character_string1": sku, "phrase2": PHRASES["low_stock"], "time3": when,
                                "thing5": name, "number7": str(max(int(available), 0)), "thing8": warehouse})
        urls[eid] = _link(site, ctx.tenant.slug, f"/admin/stock/product/{sku}")
    if not batches:
        return []
    return await create_messages(ctx, "low_stock", batches, urls=urls)


def credit_event_id(customer_id: int, kind: str, day: str) -> str:
    return f"credit_warning:{customer_id}:{kind}:{day}"


async def notify_credit(ctx: TenantContext, customer_id: int, kind: str, message: str, day: str,
                        site: str | None = None) -> list[int]:
    """One ``credit_warning`` message per (customer, kind, business day) to the customer's buyers."""
    if not event_on(ctx.settings(PLUGIN), "credit_warning") or kind not in CREDIT_PHRASES:
        return []
    session = ctx.session
    customer = await session.get(Customer, (ctx.tenant.id, customer_id))
    if customer is None:
        return []
    buyers = list((await session.scalars(select(User).where(
        User.active.is_(True), User.kind == "customer", User.customer_id == customer_id).order_by(User.id))).all())
    users = await _bound_only(ctx, buyers)
    if not users:
        return []
    data = {"phrase2": CREDIT_PHRASES[kind], "time3": _when(ctx.tenant.timezone),
            "thing5": " ".join((message or "").split())[:200] or "-"}
    return await create_messages(ctx, "credit_warning", {credit_event_id(customer_id, kind, day): (users, data)},
                                 url=_link(site, ctx.tenant.slug, "/credit"))


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


# --- token cache -------------------------------------------------------------------


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
            stmt = _insert(session)(table).values(tenant_id=self.tenant_id, id=new_id(), cache_key=key, **values)
            stmt = stmt.on_conflict_do_update(index_elements=["tenant_id", "cache_key"], set_=values)
            await session.execute(stmt)
            await session.commit()


def client_for(session: AsyncSession, tenant_id: int, acct: Account, timeout: float = 10) -> WeChatClient:
    """The brand's API client; its access token is cached in ``wechat_tokens`` (one per account),
    shared by message delivery and the binding page's QR codes."""
    return WeChatClient(get_settings().wechat_api_base, acct.appid, acct.secret,
                        DbTokenStore(session.bind, tenant_id),  # type: ignore[arg-type]
                        cache_key=f"wechat:{tenant_id}:{acct.appid}", timeout=timeout)


# --- delivery -----------------------------------------------------------------------


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


# --- bindings -------------------------------------------------------------------------


async def bind(session: AsyncSession, user_id: int, openid: str, appid: str, via: str) -> WeChatBinding:
    """Bind (or re-bind) a login; its cached binding QR code is consumed (never shown again)."""
    await session.execute(delete(WeChatQrCode).where(WeChatQrCode.user_id == user_id)
                          .execution_options(synchronize_session=False))
    binding = await session.scalar(select(WeChatBinding).where(WeChatBinding.user_id == user_id))
    if binding is None:
        binding = WeChatBinding(user_id=user_id, openid=openid, appid=appid, via=via, bound_at=utcnow())
        session.add(binding)
    else:
        binding.openid, binding.appid, binding.via, binding.bound_at = openid, appid, via, utcnow()
    await session.flush()
    return binding


def mask(openid: str | None) -> str:
    if not openid:
        return ""
    return openid[:4] + "…" + openid[-4:] if len(openid) > 10 else "…"


class UpstreamError(Exception):
    """WeChat could not be reached or answered something unreadable."""


async def exchange_code(acct: Account, code: str) -> tuple[str | None, int | None, str]:
    """OAuth: ``code`` -> ``(openid, errcode, errmsg)`` via ``{api_base}/sns/oauth2/access_token``."""
    import httpx

    url = f"{(get_settings().wechat_api_base or 'https://api.weixin.qq.com').rstrip('/')}/sns/oauth2/access_token"
    params = {"appid": acct.appid, "secret": acct.secret, "code": code, "grant_type": "authorization_code"}
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.get(url, params=params)
        payload = response.json() if response.status_code < 400 else None
    except (httpx.HTTPError, ValueError) as exc:
        raise UpstreamError(f"WeChat could not be reached: {type(exc).__name__}") from None
    if not isinstance(payload, dict):
        raise UpstreamError(f"WeChat answered HTTP {response.status_code}")
    openid = payload.get("openid")
    if isinstance(openid, str) and openid and len(openid) <= 64 and openid.isascii():
        return openid, None, ""
    errcode = payload.get("errcode")
    return None, errcode if isinstance(errcode, int) else None, str(payload.get("errmsg") or "no openid")
