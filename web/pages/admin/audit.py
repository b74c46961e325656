"""The audit log page: who changed which price, credit line, stock count, role or plugin, and how."""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.response import Response

from qudao.core import audit
from qudao.web.context import RequestContext, require_admin
from qudao.web.pages.admin.base import page, page_number
from qudao.web.pages.common import staff_page

PER_PAGE = 50
AREAS = ("price", "credit", "stock", "staff", "plugin")


@get("/admin/audit")
@staff_page()
async def audit_page(ctx: RequestContext, action: str | None = None, target: str | None = None,
                     p: str | None = None) -> Response[Any]:
    require_admin(ctx)
    number = page_number(p)
    action = (action or "").strip()[:60] or None
    target = (target or "").strip()[:300] or None
    items, total = await audit.entries(ctx.session, action=action, target=target, limit=PER_PAGE,
                                       offset=(number - 1) * PER_PAGE)
    return page(ctx, "admin/audit.html", items=items, total=total, page_no=number, per_page=PER_PAGE,
                action=action or "", target=target or "", areas=AREAS)


HANDLERS = [audit_page]
