"""Tenant API: the audit log (tenant admins only)."""

from __future__ import annotations

from typing import Any

from litestar import get

from qudao.core import audit
from qudao.core.errors import InputError
from qudao.web.context import RequestContext, require_admin


@get("/audit", tags=["audit"])
async def list_audit(ctx: RequestContext, action: str | None = None, target: str | None = None, limit: int = 50,
                     offset: int = 0) -> dict[str, Any]:
    """Staff changes to prices, credit, stock, roles and plugins, newest first:
    ``{items: [{at, user, action, target, before, after}], total}``; ``action`` matches a
    prefix (``price``, ``price.tier``), ``target`` exactly (a SKU, ``tier/SKU``, a customer code…)."""
    require_admin(ctx)
    if not 1 <= limit <= 500 or not 0 <= offset <= 10_000_000:
        raise InputError("limit must be 1-500 and offset 0 or more", field="limit")
    items, total = await audit.entries(ctx.session, action=(action or "")[:60] or None,
                                       target=(target or "")[:300] or None, limit=limit, offset=offset)
    return {"items": items, "total": total}


HANDLERS = [list_audit]
