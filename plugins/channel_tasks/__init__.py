"""HQ tasks with feedback (任务下发): staff publish a task (a display photo, a stock count, a
confirmation) to customers chosen by region, type, tier, tag or by name, with a due date. Buyers
answer in the storefront with text, numbers and photos; staff accept an answer or send it back
with a comment. Completion rates per task and region; overdue customers are reminded through
``qudao_customer_notice`` at most once a day. Stock counted in answers is offered to other
plugins through ``qudao_reported_stock`` (replenishment reads it; plugins never import each other).
"""

from __future__ import annotations

from typing import Any

from qudao.core.plugin_api import Panel, PluginMeta, RoutedPlugin, Setting, hookimpl
from qudao.plugins.channel_tasks import jobs, models  # noqa: F401 - registers tables and jobs


class ChannelTasksPlugin(RoutedPlugin):
    meta = PluginMeta(
        name="channel_tasks", title="Channel tasks 任务下发", version="0.1.0",
        description="Tasks for customers with answers (text, numbers, photos), review and reminders.",
        settings=(
            Setting("max_photo_mb", "int", label="Largest photo (MB)", default=8, min=1, max=8),
            Setting("photo_url_base", "str", label="Photo URL base (optional)", default="",
                    help="Where the media folder is published (a CDN or object store that mirrors it); "
                         "photo links become <base>/<tenant id>/channel_tasks/<name>. Empty: served by the app."),
        ),
        actors=("channel_tasks.remind",),
        admin_menu=(("Tasks", "/channel-tasks"),),
        storefront_menu=(("Tasks", "/channel-tasks"),),
    )

    @hookimpl
    async def qudao_storefront_panels(self, ctx: Any) -> list[Any]:
        """The buyer's unanswered tasks on its home, the count as a badge."""
        from qudao.plugins.channel_tasks import service
        from qudao.plugins.channel_tasks.models import UNANSWERED
        from qudao.plugins.channel_tasks.texts import translate

        items = [i for i in await service.mine(ctx) if i["status"] in UNANSWERED]
        if not items:
            return []
        return [Panel(title=f"{translate(ctx, 'Tasks to do')} ({len(items)})", template="channel_tasks/_panel.html",
                      context={"items": items[:5], "count": len(items)}, order=10, url="/channel-tasks")]

    @hookimpl
    async def qudao_dashboard_panels(self, ctx: Any) -> list[Any]:
        """Tasks with answers waiting for review or still running."""
        from qudao.plugins.channel_tasks import service
        from qudao.plugins.channel_tasks.texts import translate

        tasks = [t for t in await service.tasks_with_counts(ctx, limit=50)
                 if t["counts"].get("submitted") or not t["overdue"]][:6]
        if not tasks:
            return []
        return [Panel(title=translate(ctx, "Channel tasks"), template="channel_tasks/_admin_panel.html",
                      context={"tasks": tasks}, order=40, url="/admin/channel-tasks")]

    @hookimpl
    async def qudao_dashboard_todos(self, ctx: Any) -> list[Any]:
        from qudao.plugins.channel_tasks.dashboard import task_todos

        return await task_todos(ctx)

    @hookimpl
    async def qudao_reported_stock(self, ctx: Any, customer_id: int, product_ids: list[int]) -> dict[int, Any]:
        from qudao.plugins.channel_tasks.service import reported_stock

        return await reported_stock(ctx, customer_id, product_ids)


plugin = ChannelTasksPlugin()
