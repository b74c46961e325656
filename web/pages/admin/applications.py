"""Admin: stores' applications to become customers; approving creates the customer and its login."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
from qudao.web.pages.common import staff_or_login, staff_page

STATUSES = ("pending", "approved", "rejected")
REVIEWERS = ("order_clerk", "sales_rep")


def _id(raw: str) -> int:
    return int(raw) if raw.isdigit() and len(raw) < 20 else -1


@get("/admin/applications")
@staff_page()
async def application_list(ctx: RequestContext, status: str | None = None, p: str | None = None) -> Response[Any]:
    status = nul_free(status) or PENDING
    if status not in STATUSES:
        status = PENDING
    stmt = select(CustomerApplication).where(CustomerApplication.status == status)
    rows, pg = await paginate(ctx, stmt, p, CustomerApplication.created_at.desc())
    tiers = (await ctx.session.scalars(select(Tier).order_by(Tier.code))).all()
    return page(ctx, "admin/applications.html", rows=[r[0] for r in rows], pg=pg, status=status, statuses=STATUSES,
                tiers=tiers, types=[(t, TYPE_LABELS[t]) for t in CUSTOMER_TYPES], code_for=suggested_code)


def _every_field(exc: InputError) -> str:
    """Approving reads a whole form (tier, type, code, …): name each field that is wrong."""
    return "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors)


def _first_message(exc: InputError) -> str:
    """Rejecting reads one field, the reason: its message says it all."""
    return exc.errors[0]["message"]


Decision = Callable[[CustomerApplication, dict[str, str], int], Awaitable[str]]


async def _decide(ctx: RequestContext, request: Request, app_id: str, decision: Decision,
                  refusal: Callable[[InputError], str]) -> Response[Any]:
    """Approve and reject alike: reviewers only, one unit of work, back to the list with the
    decision's flash message (made before the commit expires the rows) or the refusal."""
    if (r := staff_or_login(ctx, REVIEWERS)) is not None:
        return r
    assert ctx.user is not None
    form = await read_form(request)
    app = await application(ctx.session, _id(app_id))
    try:
        done = await decision(app, form, ctx.user.id)
        await ctx.session.commit()
    except QudaoError as exc:
        await recover(ctx)
        message = refusal(exc) if isinstance(exc, InputError) else exc.detail
        return back(ctx, "/applications", message, error=True)
    return back(ctx, "/applications", done)


@post("/admin/applications/{app_id:str}/approve")
async def application_approve(ctx: RequestContext, request: Request, app_id: str) -> Response[Any]:
    async def approved(app: CustomerApplication, form: dict[str, str], user_id: int) -> str:
        customer = await approve(ctx.session, app, form, user_id=user_id)
        return say(ctx, N_("Approved: customer %(code)s, login %(email)s"), code=customer.code, email=app.email)

    return await _decide(ctx, request, app_id, approved, _every_field)


@post("/admin/applications/{app_id:str}/reject")
async def application_reject(ctx: RequestContext, request: Request, app_id: str) -> Response[Any]:
    async def rejected(app: CustomerApplication, form: dict[str, str], user_id: int) -> str:
        await reject(app, form.get("reason", ""), user_id=user_id)
        return say(ctx, N_("Rejected: %(company)s"), company=app.company)

    return await _decide(ctx, request, app_id, rejected, _first_message)


HANDLERS = [application_list, application_approve, application_reject]
