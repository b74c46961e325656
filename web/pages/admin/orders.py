"""Admin: order list, approval queue, order page with timeline, status changes, ERP export."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Response
from sqlalchemy import func, or_, select

from qudao.core.auth.models import User
from qudao.core.customers.models import Customer
from qudao.core.customers.scope import order_customer_criteria
from qudao.core.errors import InputError, NotFound, QudaoError
from qudao.core.imports import to_csv, to_xlsx
from qudao.core.orders.edit import edit_order
from qudao.core.orders.export import COLUMNS as EXPORT_COLUMNS
from qudao.core.orders.export import order_rows, parse_filters
from qudao.core.orders.flow import STAFF_ROLES_FOR, STATUSES, TRANSITIONS
from qudao.core.orders.models import Order, OrderAdjustment, OrderEvent, OrderLine
from qudao.core.orders.service import change_status, order_for
from qudao.core.validation import Fields
from qudao.web.context import RequestContext
from qudao.web.order_status import move_order
from qudao.web.pages.admin.base import N_, back, nul_free, page, read_form, recover, safe_back, say
from qudao.web.pages.admin.crud import LIST_QUERY, ListQuery, paginate
from qudao.web.pages.admin.decide import order_context
from qudao.web.pages.admin.imports import download
from qudao.web.pages.common import staff_page

STATUS_LABELS = {
    "submitted": "Submitted", "approved": "Approved", "rejected": "Rejected", "cancelled": "Cancelled",
    "in_production": "In production", "picking": "Picking", "shipped": "Shipped", "delivered": "Delivered",
    "received": "Received", "edited": "Edited",
}


ACTION_LABELS = {
    "approved": N_("Approve"), "rejected": N_("Reject"), "cancelled": N_("Cancel order"),
    "in_production": N_("Start production"), "picking": N_("Start picking"), "shipped": N_("Ship"),
    "delivered": N_("Mark delivered"), "received": N_("Mark received"),
}
SOURCE_LABELS = {"base": N_("Base price"), "tier": N_("Tier price"), "customer": N_("Customer price"),
                 "retail": N_("Retail price"), "break": N_("Quantity break"), "manual": N_("Set by staff")}


def may(ctx: RequestContext, new: str) -> bool:
    user = ctx.user
    if user is None or user.kind != "staff":
        return False
    return user.role in ("owner", "admin", *STAFF_ROLES_FOR.get(new, ()))


def next_statuses(ctx: RequestContext, status: str) -> list[str]:
    return [s for s in STATUSES if s in TRANSITIONS.get(status, set()) and may(ctx, s)]


def _orders_query(ctx: RequestContext, status: str | None, q: str | None) -> Any:
    stmt = select(Order, Customer).outerjoin(
        Customer, (Customer.id == Order.customer_id) & (Customer.tenant_id == Order.tenant_id)).where(
        *order_customer_criteria(ctx, Order.customer_id))
    if status:
        stmt = stmt.where(Order.status == status)
    if q and q.strip():
        needle = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Order.number).like(needle), func.lower(Customer.code).like(needle),
                              func.lower(Customer.name).like(needle)))
    return stmt


@get("/admin/orders", dependencies=LIST_QUERY)
@staff_page()
async def order_list(ctx: RequestContext, listing: ListQuery, status: str | None = None) -> Response[Any]:
    status = nul_free(status)
    if status and status not in STATUSES:
        status = None
    found = await listing.fetch(ctx, _orders_query(ctx, status, listing.q),
                                {"date": Order.created_at, "number": Order.number, "total": Order.total,
                                 "status": Order.status}, "-date", Order.id.desc())
    counts = dict((await ctx.session.execute(select(Order.status, func.count()).group_by(Order.status))).all())
    return page(ctx, "admin/orders.html", **found, status=status or "", statuses=STATUSES, labels=STATUS_LABELS,
                counts=counts)


@get("/admin/orders/queue")
@staff_page()
async def approval_queue(ctx: RequestContext, p: str | None = None) -> Response[Any]:
    """Submitted orders, oldest first, each with what it takes to decide on it (lines and stock,
    discounts and rebates, credit headroom, the customer's last orders); approve or reject in bulk."""
    rows, pg = await paginate(ctx, _orders_query(ctx, "submitted", None), nul_free(p), Order.created_at, Order.id)
    context = await order_context(ctx, [o for o, _c in rows])
    return page(ctx, "admin/order_queue.html", rows=rows, pg=pg, labels=STATUS_LABELS, context=context,
                sources=SOURCE_LABELS, can_approve=may(ctx, "approved"), can_reject=may(ctx, "rejected"))


@post("/admin/orders/queue/bulk")
@staff_page()
async def approval_bulk(ctx: RequestContext, request: Request) -> Response[Any]:
    """Approve (or reject, with one reason) the ticked orders; each in its own transaction, so one
    refusal (illegal step, a plugin's veto) does not undo the others; the flash says which."""
    form = await request.form()
    action = str(form.get("action") or "")
    numbers = [str(v) for v in form.getall("number")][:200] if "number" in form else []
    note = str(form.get("note") or "").strip()[:1000]
    if action not in ("approved", "rejected") or not numbers:
        return back(ctx, "/orders/queue", say(ctx, N_("Tick at least one order and choose what to do.")), error=True)
    if action == "rejected" and not note:
        return back(ctx, "/orders/queue", say(ctx, N_("Give a reason for rejecting the orders.")), error=True)
    done, refused_ = [], []
    for number in numbers:
        try:
            await change_status(ctx, await order_for(ctx, number), action, note)
            done.append(number)
        except QudaoError as exc:
            await recover(ctx)
            refused_.append(f"{number}: {exc.detail}")
    label = say(ctx, STATUS_LABELS[action])
    message = say(ctx, N_("%(n)s order(s) %(status)s"), n=len(done), status=label)
    if refused_:
        message += " · " + say(ctx, N_("not changed: %(list)s"), list="; ".join(refused_))
    return back(ctx, "/orders/queue", message[:300], error=bool(refused_) and not done)


@get("/admin/orders/export")
@staff_page()
async def order_export(ctx: RequestContext, format: str | None = None, status: str | None = None,  # noqa: A002
                       start: str | None = None, end: str | None = None) -> Response[Any]:
    """ERP sales-order drafts. Without ``format`` the page with the filter form."""
    format, status, start, end = nul_free(format), nul_free(status), nul_free(start), nul_free(end)
    form = {"status": status or "approved", "start": start or "", "end": end or ""}
    try:
        st, day_from, day_to = parse_filters(status, start, end)
    except InputError as exc:
        return page(ctx, "admin/order_export.html", status_code=422, form=form, errors=exc.errors,
                    statuses=STATUSES, labels=STATUS_LABELS, count=None)
    rows = await order_rows(ctx.session, ctx.tenant.timezone, st, day_from, day_to)
    if format in ("xlsx", "csv"):
        data = to_xlsx(EXPORT_COLUMNS, rows, "orders") if format == "xlsx" else to_csv(EXPORT_COLUMNS, rows)
        return download(data, f"{ctx.tenant.slug}-orders-{form['status']}.{format}", format)
    return page(ctx, "admin/order_export.html", form=form, statuses=STATUSES, labels=STATUS_LABELS,
                count=len({r[0] for r in rows}), lines=len(rows))


@get("/admin/orders/{number:str}")
@staff_page()
async def order_page(ctx: RequestContext, number: str) -> Response[Any]:
    order = await order_for(ctx, number)
    s = ctx.session
    lines = (await s.scalars(select(OrderLine).where(OrderLine.order_id == order.id)
                             .order_by(OrderLine.line_no))).all()
    adjustments = (await s.scalars(select(OrderAdjustment).where(OrderAdjustment.order_id == order.id)
                                   .order_by(OrderAdjustment.id))).all()
    events = (await s.execute(select(OrderEvent, User.email).outerjoin(
        User, (User.id == OrderEvent.user_id) & (User.tenant_id == OrderEvent.tenant_id))
        .where(OrderEvent.order_id == order.id).order_by(OrderEvent.at, OrderEvent.id))).all()
    customer = await s.get(Customer, (order.tenant_id, order.customer_id)) if order.customer_id else None
    decide = (await order_context(ctx, [order]))[order.id]
    return page(ctx, "admin/order.html", order=order, lines=lines, adjustments=adjustments, events=events,
                decide=decide,
                customer=customer, labels=STATUS_LABELS, next_statuses=next_statuses(ctx, order.status),
                actions=ACTION_LABELS, sources=SOURCE_LABELS,
                editable=order.status == "submitted" and may(ctx, "approved"))


async def refused(ctx: RequestContext, target: str, exc: QudaoError, *, field_names: bool = False) -> Response[Any]:
    """Roll back and flash why: an unknown order goes back to the list, anything else to ``target``."""
    await recover(ctx)
    if isinstance(exc, NotFound):
        return back(ctx, "/orders", exc.detail, error=True)
    if isinstance(exc, InputError):
        message = "; ".join(f"{e['field']}: {e['message']}" if field_names else e["message"] for e in exc.errors)
        return back(ctx, target, message, error=True)
    return back(ctx, target, exc.detail, error=True)


@post("/admin/orders/{number:str}/status")
@staff_page()
async def order_status(ctx: RequestContext, request: Request, number: str) -> Response[Any]:
    """Approve, reject (with a reason), ship (carrier, tracking number) or any allowed step.

    Refusals from core (409 illegal transition, 403 role) come back as a flash message."""
    form = await read_form(request)
    target = safe_back(ctx, form.get("back"), f"/orders/{number}")
    try:
        f = Fields({k: v for k, v in form.items() if isinstance(v, str)})
        status = f.text("status", required=True, max_len=20) or ""
        note = f.text("note", max_len=1000) or ""
        carrier = f.text("carrier", max_len=100)
        tracking = f.text("tracking_number", max_len=100)
        if status == "rejected" and not note:
            f.error("note", "give a reason for rejecting the order")
        if status == "shipped" and not carrier:
            f.error("carrier", "name the carrier")
        f.check()
        await move_order(ctx, number, status, note, carrier=carrier, tracking_number=tracking)
    except QudaoError as exc:
        return await refused(ctx, target, exc, field_names=True)
    label = STATUS_LABELS.get(status, status)
    return back(ctx, target, say(ctx, N_("%(number)s: %(status)s"), number=number, status=say(ctx, label)))


@post("/admin/orders/{number:str}/edit")
@staff_page()
async def order_edit(ctx: RequestContext, request: Request, number: str) -> Response[Any]:
    """Save a clerk's changes to quantities (``qty:<sku>``) and unit prices (``price:<sku>``)."""
    form = await read_form(request)
    target = f"/orders/{number}"
    changes: dict[str, dict[str, Any]] = {}
    for key, raw in form.items():
        kind, _, sku = key.partition(":")
        value = raw.strip()
        if kind in ("qty", "price") and sku and value:
            field = "qty" if kind == "qty" else "unit_price"
            changes.setdefault(sku, {"sku": sku})[field] = int(value) if field == "qty" and value.isdigit() else value
    try:  # core keeps what is unchanged and refuses an edit that changes nothing
        await edit_order(ctx, await order_for(ctx, number),
                         {"lines": list(changes.values()), "reason": form.get("reason", "")[:500]})
    except QudaoError as exc:
        return await refused(ctx, target, exc)
    return back(ctx, target, say(ctx, N_("%(number)s: changes saved"), number=number))


HANDLERS = [order_list, approval_queue, approval_bulk, order_export, order_page, order_status, order_edit]
