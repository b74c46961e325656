"""Answering (the buyer of the assigned customer only) and reviewing (accept, or send back with a
comment). Everything is checked before a photo is written or a row changed."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from qudao.core.customers.models import Customer
from qudao.core.errors import Conflict, InputError, NotFound
from qudao.core.plugin_api import TenantContext, utcnow
from qudao.plugins.channel_tasks import photos
from qudao.plugins.channel_tasks.models import ACCEPTED, RETURNED, SUBMITTED, UNANSWERED, Assignment, Task

MAX_TEXT = 5000


async def assignment_of(ctx: TenantContext, assignment_id: int) -> tuple[Assignment, Task]:
    """For a buyer only its own customer's assignments exist; a sales rep sees their customers'."""
    if not 0 < assignment_id < 2**63:  # ids are 63-bit: anything else is no row (and no database error)
        raise NotFound("no such task for you")
    stmt = select(Assignment, Task).join(Task, (Task.tenant_id == Assignment.tenant_id) & (Task.id == Assignment.task_id)) \
        .where(Assignment.id == assignment_id)
    if ctx.user is None or ctx.user.kind != "staff":
        stmt = stmt.where(Assignment.customer_id == (ctx.customer.id if ctx.customer else -1))
    elif ctx.user.role == "sales_rep":
        stmt = stmt.where(Assignment.customer_id.in_(select(Customer.id).where(Customer.sales_rep_id == ctx.user.id)))
    row = (await ctx.session.execute(stmt)).first()
    if row is None:
        raise NotFound("no such task for you")
    return row[0], row[1]


def _number(raw: Any, field: str, whole: bool) -> str:
    if isinstance(raw, bool) or raw is None or str(raw).strip() == "":
        raise InputError("is required", field=field)
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise InputError("must be a number", field=field) from None
    if not value.is_finite() or value < 0 or value >= Decimal("1e12"):
        raise InputError("must be a number from 0", field=field)
    if whole and value != value.to_integral_value():
        raise InputError("must be a whole number (a count)", field=field)
    if value.as_tuple().exponent < -4:  # type: ignore[operator]
        raise InputError("has too many decimal places", field=field)
    return str(value.to_integral_value() if whole else value.normalize())


async def answer(ctx: TenantContext, assignment: Assignment, task: Task, text: Any, numbers: list[Any],
                 uploads: list[bytes], limit_mb: int = 8) -> Assignment:
    """Store the answer (new photos replace earlier ones; none given keeps them) as ``submitted``."""
    if assignment.status not in UNANSWERED:
        raise Conflict("this task was already answered" if assignment.status == SUBMITTED
                       else "this task was accepted; it cannot be changed")
    errors: list[dict[str, str]] = []
    text = text.strip() if isinstance(text, str) else ""
    if task.ask_text and not text:
        errors.append({"field": "text", "message": "is required"})
    if len(text) > MAX_TEXT:
        errors.append({"field": "text", "message": f"must be at most {MAX_TEXT} characters"})
    values: list[str] = []
    for i, spec in enumerate(task.numbers or []):
        try:
            values.append(_number(numbers[i] if i < len(numbers) else None, f"numbers[{i}]", bool(spec.get("sku"))))
        except InputError as exc:
            errors.extend(exc.errors)
    checked = []
    if len(uploads) > photos.MAX_PHOTOS:
        errors.append({"field": "photos", "message": f"at most {photos.MAX_PHOTOS} photos"})
    else:
        for data in uploads:
            try:
                checked.append((data, photos.check(data, limit=limit_mb * 1024 * 1024)))
            except InputError as exc:
                errors.extend(exc.errors)
    kept = [] if uploads else list(assignment.photos or [])
    if len(checked) + len(kept) < task.min_photos and not any(e["field"] == "photos" for e in errors):
        errors.append({"field": "photos", "message": f"add at least {task.min_photos} photo(s)"})
    if errors:
        raise InputError(errors)
    old = list(assignment.photos or []) if uploads else []
    names = [photos.save(ctx.tenant.id, data, ext) for data, ext in checked]
    assignment.answer_text, assignment.answer_numbers = text, values
    assignment.photos = names or kept
    assignment.status, assignment.submitted_at = SUBMITTED, utcnow()
    assignment.answered_by = ctx.user.id if ctx.user else None
    await ctx.session.flush()
    photos.remove(ctx.tenant.id, old)
    return assignment


async def review(ctx: TenantContext, assignment: Assignment, decision: Any, comment: Any) -> Assignment:
    if decision not in ("accept", "return"):
        raise InputError("must be accept or return", field="decision")
    comment = comment.strip() if isinstance(comment, str) else ""
    if decision == "return" and not comment:
        raise InputError("say what to change when sending an answer back", field="comment")
    if len(comment) > 1000:
        raise InputError("must be at most 1000 characters", field="comment")
    if assignment.status != SUBMITTED:
        raise Conflict("only a submitted answer can be reviewed")
    assignment.status = ACCEPTED if decision == "accept" else RETURNED
    assignment.review_comment = comment
    assignment.reviewed_by = ctx.user.id if ctx.user else None
    assignment.reviewed_at = utcnow()
    await ctx.session.flush()
    return assignment
