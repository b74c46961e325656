"""The dashboard's "what needs me now" counts for tasks (``qudao_dashboard_todos``): answers waiting
for review, and customers past a task's due date without an accepted answer — one query for both."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select

from qudao.core.plugin_api import Todo
from qudao.plugins.channel_tasks.models import SUBMITTED, UNANSWERED, Assignment, Task
from qudao.plugins.channel_tasks.publish import local_today
from qudao.plugins.channel_tasks.texts import N_


async def task_todos(ctx: Any) -> list[Todo]:
    overdue = (Assignment.status.in_(UNANSWERED)) & (Task.due_date < local_today(ctx))
    to_review, late = (await ctx.session.execute(
        select(func.count(case((Assignment.status == SUBMITTED, 1))), func.count(case((overdue, 1))))
        .select_from(Assignment)
        .join(Task, (Task.id == Assignment.task_id) & (Task.tenant_id == Assignment.tenant_id)))).one()
    return [Todo(N_("Task answers to review"), int(to_review or 0), "/admin/channel-tasks", "clipboard-check",
                 order=40),
            Todo(N_("Overdue task answers"), int(late or 0), "/admin/channel-tasks", "clock", order=41)]
