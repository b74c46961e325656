"""Pages: admin task list with the publish form, a task's answers (review, rates per region,
reminders), the buyer's task list and answer form (photos uploaded with the form), and photos.

Forms are checked before anything is written, so an error re-renders the page, nothing stored.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import File, Redirect, Response

from qudao.core.customers.models import CUSTOMER_TYPES
from qudao.core.errors import Conflict, InputError
from qudao.core.validation import form_value as _one
from qudao.plugins.channel_tasks import answers, photos, publish, remind, service
from qudao.plugins.channel_tasks.api import REVIEWERS, answer_input, max_mb
from qudao.web.context import RequestContext
from qudao.web.pages.common import buyer_page, form_data, render, staff_page

FLASHES = {"published": "Task published.", "answered": "Answer sent. Thank you!", "accepted": "Answer accepted.",
           "returned": "Answer sent back.", "reminded": "Reminders sent."}
ADMINS = ("owner", "admin")


def task_body(form: dict[str, Any]) -> dict[str, Any]:
    """The publish form as the API body: one number per line (``label`` or ``label | SKU``)."""
    numbers = []
    for line in _one(form, "numbers").splitlines():
        label, _, sku = line.partition("|")
        if line.strip():
            numbers.append({"label": label.strip(), "sku": sku.strip()} if sku.strip() else {"label": label.strip()})
    return {"title": _one(form, "title"), "body": _one(form, "body"), "due_date": _one(form, "due_date"),
            "ask_text": "ask_text" in form, "min_photos": _one(form, "min_photos") or 0, "numbers": numbers,
            "audience": {k: _one(form, k) for k in ("regions", "types", "tiers", "tags", "customers")}
            | {"everyone": "everyone" in form}}


async def _list(ctx: RequestContext, *, status_code: int = 200, errors: list[Any] | None = None,
                values: dict[str, Any] | None = None, flash: str | None = None) -> Response[Any]:
    return render(ctx, "channel_tasks/admin_list.html", status_code=status_code,
                  tasks=await service.tasks_with_counts(ctx), errors=errors or [], values=values or {},
                  flash=flash, types=CUSTOMER_TYPES, today=publish.local_today(ctx).isoformat(),
                  can_publish=ctx.user is not None and ctx.user.role in ADMINS)


@get("/admin/channel-tasks")
@staff_page()
async def admin_list(ctx: RequestContext, done: str | None = None) -> Response[Any]:
    await remind.daily_trigger(ctx)
    return await _list(ctx, flash=FLASHES.get(done or ""))


@post("/admin/channel-tasks")
@staff_page(ADMINS)
async def admin_publish(ctx: RequestContext, request: Request) -> Response[Any]:
    form = await form_data(request)
    try:
        fields, customer_ids = await publish.parse_task(ctx, task_body(form))
    except InputError as exc:
        return await _list(ctx, status_code=422, errors=exc.errors, values=form)
    task = await publish.publish(ctx, fields, customer_ids)
    await ctx.session.commit()
    return Redirect(f"/t/{ctx.tenant.slug}/admin/channel-tasks/{task.id}?done=published")


async def _detail(ctx: RequestContext, task_id: int, *, status_code: int = 200, errors: list[Any] | None = None,
                  flash: str | None = None) -> Response[Any]:
    task = await service.task_of(ctx, task_id)
    return render(ctx, "channel_tasks/admin_task.html", status_code=status_code, task=await service.detail(ctx, task),
                  errors=errors or [], flash=flash)


@get("/admin/channel-tasks/{task_id:int}")
@staff_page()
async def admin_task(ctx: RequestContext, task_id: int, done: str | None = None) -> Response[Any]:
    return await _detail(ctx, task_id, flash=FLASHES.get(done or ""))


@post("/admin/channel-tasks/assignments/{assignment_id:int}/review")
@staff_page(REVIEWERS)
async def admin_review(ctx: RequestContext, request: Request, assignment_id: int) -> Response[Any]:
    assignment, task = await answers.assignment_of(ctx, assignment_id)
    form = await form_data(request)
    decision = _one(form, "decision")
    try:
        await answers.review(ctx, assignment, decision, _one(form, "comment"))
    except (InputError, Conflict) as exc:
        errors = exc.errors if isinstance(exc, InputError) else [{"field": "decision", "message": exc.detail}]
        return await _detail(ctx, task.id, status_code=422 if isinstance(exc, InputError) else 409, errors=errors)
    await ctx.session.commit()
    done = "accepted" if decision == "accept" else "returned"
    return Redirect(f"/t/{ctx.tenant.slug}/admin/channel-tasks/{task.id}?done={done}#a-{assignment.id}")


@post("/admin/channel-tasks/{task_id:int}/remind")
@staff_page(REVIEWERS)
async def admin_remind(ctx: RequestContext, task_id: int) -> Response[Any]:
    await remind.send_due(ctx, await service.task_of(ctx, task_id))
    await ctx.session.commit()
    return Redirect(f"/t/{ctx.tenant.slug}/admin/channel-tasks/{task_id}?done=reminded")


@get("/channel-tasks")
@buyer_page
async def my_tasks(ctx: RequestContext, done: str | None = None) -> Response[Any]:
    await remind.daily_trigger(ctx)
    return render(ctx, "channel_tasks/my_tasks.html", items=await service.mine(ctx), flash=FLASHES.get(done or ""))


async def _answer_page(ctx: RequestContext, assignment_id: int, *, status_code: int = 200,
                       errors: list[Any] | None = None, values: dict[str, Any] | None = None) -> Response[Any]:
    assignment, task = await answers.assignment_of(ctx, assignment_id)
    item = {**service.assignment_view(ctx, assignment, task), "body": task.body, "ask_text": task.ask_text,
            "min_photos": task.min_photos}
    return render(ctx, "channel_tasks/answer.html", status_code=status_code, item=item, errors=errors or [],
                  values=values or {}, max_mb=max_mb(ctx), max_photos=photos.MAX_PHOTOS)


@get("/channel-tasks/{assignment_id:int}")
@buyer_page
async def answer_page(ctx: RequestContext, assignment_id: int) -> Response[Any]:
    return await _answer_page(ctx, assignment_id)


@post("/channel-tasks/{assignment_id:int}")
@buyer_page
async def answer_save(ctx: RequestContext, request: Request, assignment_id: int) -> Response[Any]:
    assignment, task = await answers.assignment_of(ctx, assignment_id)
    text, numbers, uploads = await answer_input(request, max_mb(ctx))
    values = {"text": text, **{f"number_{i}": v for i, v in enumerate(numbers)}}
    try:
        await answers.answer(ctx, assignment, task, text, numbers, uploads, limit_mb=max_mb(ctx))
    except InputError as exc:
        return await _answer_page(ctx, assignment_id, status_code=422, errors=exc.errors, values=values)
    except Conflict as exc:
        return await _answer_page(ctx, assignment_id, status_code=409,
                                  errors=[{"field": "answer", "message": exc.detail}], values=values)
    await ctx.session.commit()
    return Redirect(f"/t/{ctx.tenant.slug}/channel-tasks?done=answered")


@get("/channel-tasks/photos/{assignment_id:int}/{name:str}")
@buyer_page
async def photo(ctx: RequestContext, assignment_id: int, name: str) -> Response[Any]:
    """A photo of an answer, for staff and for the buyers of the assigned customer only."""
    assignment, _task = await answers.assignment_of(ctx, assignment_id)
    path = photos.path_of(ctx.tenant.id, name) if name in (assignment.photos or []) else None
    if path is None:
        from qudao.core.errors import NotFound

        raise NotFound("no such photo")
    return File(path=path, media_type=photos.content_type(name), content_disposition_type="inline",
                headers={"Cache-Control": "private, max-age=3600"})


HANDLERS = [admin_list, admin_publish, admin_task, admin_review, admin_remind, my_tasks, answer_page, answer_save,
            photo]
