"""Order events -> message rows: who hears about which event, the template data, and one row per
(event, recipient), inserted once.

Template data (each value at most 20 characters, WeChat's 2023 rules) uses these keys, so
the tenant picks templates with matching fields in its official-account console:
``character_string1`` order number (low stock: SKU), ``phrase2`` status, ``time3`` time,
``amount4`` total, ``thing5`` customer / reason / carrier / product name / credit message,
``character_string6`` tracking number, ``number7`` available quantity, ``thing8`` warehouse.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.auth.models import User
from qudao.core.customers.models import Customer
from qudao.core.db.base import new_id, utcnow
from qudao.core.db.session import enqueue_after_commit
from qudao.core.money import fmt
from qudao.core.orders.models import Order
from qudao.core.plugins.context import TenantContext
from qudao.plugins.wechat.common import PLUGIN, account, dialect_insert, event_on
from qudao.plugins.wechat.models import (
    QUEUED,
    WeChatBinding,
    WeChatMessage,
)

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


def event_id(order_id: int, event: str) -> str:
    return f"order:{order_id}:{event}"


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


async def bound_buyers(ctx: TenantContext, customer_id: int) -> list[User]:
    """The customer's active buyer logins that have WeChat bound (who hears about its account)."""
    buyers = list((await ctx.session.scalars(select(User).where(
        User.active.is_(True), User.kind == "customer", User.customer_id == customer_id).order_by(User.id))).all())
    return await _bound_only(ctx, buyers)


def _when(tz: str) -> str:
    return utcnow().astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


async def create_messages(ctx: TenantContext, event: str, batches: dict[str, tuple[list[User], dict[str, str]]], *,
                          url: str | None = None, order_number: str | None = None,
                          urls: dict[str, str | None] | None = None) -> list[int]:
    """Insert one row per (event id, recipient) – ``INSERT … ON CONFLICT DO NOTHING`` on the
    unique key, so a repeated event makes nothing new – enqueue ``wechat.send`` for each new
    row after commit, and commit. ``batches`` maps an event id to its recipients and data."""
    session = ctx.session
    insert = dialect_insert(session)
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
