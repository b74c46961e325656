"""Admin: the dashboard (the back office's home page)."""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.response import Response

from qudao.core.plugins.panels import collect_panels
from qudao.web.context import RequestContext
from qudao.web.pages.admin.reports import dashboard_stats
from qudao.web.pages.common import render, staff_or_login


@get("/admin")
async def dashboard(ctx: RequestContext) -> Response[Any]:
    if (redirect := staff_or_login(ctx)) is not None:
        return redirect
    stats = await dashboard_stats(ctx)
    panels = await collect_panels(ctx, "qudao_dashboard_panels")
    return render(ctx, "admin/dashboard.html", stats=stats, panels=panels)


HANDLERS = [dashboard]
