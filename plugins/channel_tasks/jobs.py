"""Jobs of the channel_tasks plugin (imported by the plugin so they register).

* ``channel_tasks.remind()`` – overdue reminders for every task of the tenant (see ``remind``).
"""

from __future__ import annotations

from qudao.core.jobs import job
from qudao.core.plugin_api import TenantContext
from qudao.plugins.channel_tasks import remind


@job("channel_tasks.remind", plugin="channel_tasks")
async def remind_overdue(ctx: TenantContext) -> None:
    await remind.send_all(ctx)
    await ctx.session.commit()
