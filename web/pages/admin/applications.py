"""Admin: stores' applications to become customers; approving creates the customer and its login."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Response
from sqlalchemy import select

from qudao.core.customers.applications import (
    PENDING,
    CustomerApplication,
    application,
    approve,
    reject,
    suggested_code,
)
from qudao.core.customers.models import CUSTOMER_TYPES, Tier
from qudao.core.errors import InputError, QudaoError
from qudao.web.context import RequestContext
from qudao.web.pages.admin.base import N_, back, nul_free, page, read_form, recover, say
from qudao.web.pages.admin.crud import paginate
from qudao.web.pages.admin.customers import TYPE_LABELS
from qudao.web.pages.common import staff_or_login

STATUSES = ("pending", "approved", "rejected")
REVIEWERS = ("order_clerk", "sales_rep")


def _id(raw: str) -> int:
    return int(raw) if raw.isdigit() and len(raw) < 20 else -1


@get("/admin/applications")
async def application_list(ctx: RequestContext, status: str | None = None, p: str | None = None) -> Response[Any]:
    if (r := staff_or_login(ctx)) is not None:
        return r
    status = nul_free(status) or PENDING
    if status not in STATUSES:
        status = PENDING
    stmt = select(CustomerApplication).where(CustomerApplication.status == status)
    rows, pg = await paginate(ctx, stmt, p, CustomerApplication.created_at.desc())
    tiers = (await ctx.session.scalars(select(Tier).order_by(Tier.code))).all()
    return page(ctx, "admin/applications.html", rows=[r[0] for r in rows], pg=pg, status=status, statuses=STATUSES,
                tiers=tiers, types=[(t, TYPE_LABELS[t]) for t in CUSTOMER_TYPES], code_for=suggested_code)


@post("/admin/applications/{app_id:str}/approve")
async def application_approve(ctx: RequestContext, request: Request, app_id: str) -> Response[Any]:
    if (r := staff_or_login(ctx, REVIEWERS)) is not None:
        return r
    assert ctx.user is not None
    form = await read_form(request)
    app = await application(ctx.session, _id(app_id))
    try:
        customer = await approve(ctx.session, app, form, user_id=ctx.user.id)
        code, email = customer.code, app.email
        await ctx.session.commit()
    except QudaoError as exc:
        await recover(ctx)
        message = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors) \
            if isinstance(exc, InputError) else exc.detail
        return back(ctx, "/applications", message, error=True)
    return back(ctx, "/applications", say(ctx, N_("Approved: customer %(code)s, login %(email)s"),
                                          code=code, email=email))


@post("/admin/applications/{app_id:str}/reject")
async def application_reject(ctx: RequestContext, request: Request, app_id: str) -> Response[Any]:
    if (r := staff_or_login(ctx, REVIEWERS)) is not None:
        return r
    assert ctx.user is not None
    form = await read_form(request)
    app = await application(ctx.session, _id(app_id))
    try:
        await reject(app, form.get("reason", ""), user_id=ctx.user.id)
        company = app.company
        await ctx.session.commit()
    except QudaoError as exc:
        await recover(ctx)
        message = exc.errors[0]["message"] if isinstance(exc, InputError) else exc.detail
        return back(ctx, "/applications", message, error=True)
    return back(ctx, "/applications", say(ctx, N_("Rejected: %(company)s"), company=company))


HANDLERS = [application_list, application_approve, application_reject]
