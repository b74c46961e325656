"""Overdue reminders: at most one per assignment and local day, through ``qudao_customer_notice``.

Qudao has no clock of its own, so the job ``channel_tasks.remind`` (every overdue task of the
tenant) is started by the first view of the admin or the buyer's task list each day (a row per
day in ``channel_tasks_sweeps`` decides which view), by ``POST /channel-tasks/remind`` (for an
operator's daily cron) and by a task's "remind now" button. However often it runs, a customer
gets one reminder per task and day: the reminder row's unique key is claimed before the notice
is fired, in the same transaction (and the notifier itself sends once per key).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from qudao.core.plugin_api import TenantContext, enqueue_after_commit, gather_hook, new_id, utcnow
from qudao.plugins.channel_tasks.models import UNANSWERED, Assignment, Reminder, Sweep, Task
from qudao.plugins.channel_tasks.publish import local_today


def _insert(ctx: TenantContext) -> Any:
    bind = ctx.session.bind
    return pg_insert if bind is not None and bind.dialect.name == "postgresql" else sqlite_insert


async def _claim(ctx: TenantContext, model: Any, keys: list[str], **values: Any) -> bool:
    """Insert a row; False when its unique key exists already (INSERT … ON CONFLICT DO NOTHING)."""
    stmt = _insert(ctx)(model.__table__).values(tenant_id=ctx.tenant.id, id=new_id(), **values)
    result = await ctx.session.execute(stmt.on_conflict_do_nothing(index_elements=["tenant_id", *keys]))
    return bool(result.rowcount)


async def send_due(ctx: TenantContext, task: Task) -> int:
    """Remind every customer of an overdue task that has not answered and was not reminded today."""
    today = local_today(ctx)
    if today <= task.due_date:
        return 0
    rows = (await ctx.session.scalars(select(Assignment).where(Assignment.task_id == task.id,
                                                               Assignment.status.in_(UNANSWERED)))).all()
    sent = 0
    for a in rows:
        if not await _claim(ctx, Reminder, ["assignment_id", "day"], assignment_id=a.id, day=today.isoformat(),
                            sent_at=utcnow()):
            continue  # already reminded today
        await notify(ctx, a, task, today.isoformat())
        sent += 1
    return sent


async def notify(ctx: TenantContext, a: Assignment, task: Task, day: str) -> None:
    """The buyer reads the notice in the brand's language (WeChat shows the first 20 characters of a title)."""
    days = (local_today(ctx) - task.due_date).days
    due = task.due_date.isoformat()
    if (ctx.tenant.locale or "zh_CN").startswith("zh"):
        title, message = f"任务逾期：{task.title}", f"任务“{task.title}”已于 {due} 到期（逾期 {days} 天），请尽快提交。"
    else:
        title, message = f"Task overdue: {task.title}", f"“{task.title}” was due on {due} ({days} day(s) ago); please answer it."
    await gather_hook(ctx.hooks.qudao_customer_notice, ctx=ctx, customer_id=a.customer_id, kind="task_overdue",
                      title=title[:20], message=message, key=f"{a.id}:{day}", url=f"/channel-tasks/{a.id}")


async def send_all(ctx: TenantContext) -> int:
    """Every overdue task of the tenant that someone has not answered."""
    today = local_today(ctx)
    tasks = (await ctx.session.scalars(select(Task).where(
        Task.due_date < today, Task.id.in_(select(Assignment.task_id).where(Assignment.status.in_(UNANSWERED))))
        .order_by(Task.due_date).limit(500))).all()
    sent = 0
    for task in tasks:
        sent += await send_due(ctx, task)
    return sent


async def daily_trigger(ctx: TenantContext) -> bool:
    """Start the reminder job once per local day (the first page view wins); commits."""
    if not await _claim(ctx, Sweep, ["day"], day=local_today(ctx).isoformat(), at=utcnow()):
        return False
    enqueue_after_commit(ctx.session, "channel_tasks.remind")
    await ctx.session.commit()
    return True
