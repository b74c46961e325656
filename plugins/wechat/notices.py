"""Customer notices from other plugins (``qudao_customer_notice``: a rebate approved, a task overdue).

One ``customer_notice`` message per (customer, kind, key) to the customer's buyers, so the plugin that
fires the hook may repeat it (a retried job, a daily sweep) without a second message.
"""

from __future__ import annotations

from qudao.core.customers.models import Customer
from qudao.core.plugins.context import TenantContext
from qudao.plugins.wechat.common import PLUGIN, event_on
from qudao.plugins.wechat.messages import _link, _when, bound_buyers, create_messages

EVENT = "customer_notice"


def notice_event_id(customer_id: int, kind: str, key: str) -> str:
    return f"notice:{customer_id}:{kind}:{key}"[:200]


async def notify_customer(ctx: TenantContext, customer_id: int, kind: str, title: str, message: str, key: str,
                          url: str | None = None, site: str | None = None) -> list[int]:
    """Create the message rows (deduplicated by event id and recipient); returns the ids created now."""
    if not event_on(ctx.settings(PLUGIN), EVENT):
        return []
    session = ctx.session
    if await session.get(Customer, (ctx.tenant.id, customer_id)) is None:
        return []
    users = await bound_buyers(ctx, customer_id)
    if not users:
        return []
    data = {"thing1": " ".join((title or "").split())[:20] or "-", "time3": _when(ctx.tenant.timezone),
            "thing5": " ".join((message or "").split())[:200] or "-"}
    link = _link(site, ctx.tenant.slug, url) if url and url.startswith("/") else None
    return await create_messages(ctx, EVENT, {notice_event_id(customer_id, kind, key): (users, data)}, url=link)
