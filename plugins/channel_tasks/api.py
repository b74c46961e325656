"""API: publish and list tasks (staff), a task's answers and completion rates, the buyer's tasks,
answering (JSON, or multipart with photos), reviewing, and running due reminders."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile

from qudao.core.errors import InputError
from qudao.plugins.channel_tasks import answers, publish, remind, service
from qudao.web.api.common import json_body
from qudao.web.context import RequestContext, require_admin, require_buyer, require_staff

TAGS = ["channel_tasks"]
REVIEWERS = ("sales_rep", "order_clerk")


async def answer_input(request: Request, limit_mb: int) -> tuple[Any, list[Any], list[bytes]]:
    """``(text, numbers, photo bytes)`` from a JSON body or a multipart form (``number_<i>``, ``photos``)."""
    if request.headers.get("content-type", "").startswith(("multipart/", "application/x-www-form-urlencoded")):
        form = await request.form()
        numbers = [form.get(f"number_{i}") for i in range(20) if f"number_{i}" in form]
        uploads = [v for v in form.getall("photos") if isinstance(v, UploadFile)] if "photos" in form else []
        photos = []
        for upload in uploads:
            data = await upload.read(limit_mb * 1024 * 1024 + 1)
            if data or upload.filename:
                photos.append(data)
        return form.get("text"), numbers, photos
    body = await json_body(request)
    numbers = body.get("numbers") or []
    if not isinstance(numbers, list):
        raise InputError("must be a list", field="numbers")
    return body.get("text"), numbers, []


def max_mb(ctx: RequestContext) -> int:
    return int(ctx.settings("channel_tasks").get("max_photo_mb") or 8)


@post("/channel-tasks", tags=TAGS)
async def create_task(request: Request, ctx: RequestContext) -> Response[Any]:
    """``{title, body?, due_date, ask_text?, min_photos?, numbers?: [{label, sku?}], audience: {regions?,
    types?, tiers?, tags?, customers?, everyone?}}`` → 201 with its assignments."""
    require_admin(ctx)
    fields, customer_ids = await publish.parse_task(ctx, await json_body(request))
    task = await publish.publish(ctx, fields, customer_ids)
    body = await service.detail(ctx, task)
    await ctx.session.commit()
    return Response(body, status_code=201)


@get("/channel-tasks", tags=TAGS)
async def list_tasks(ctx: RequestContext) -> dict[str, Any]:
    require_staff(ctx)
    return {"items": await service.tasks_with_counts(ctx)}


@get("/channel-tasks/mine", tags=TAGS)
async def my_tasks(ctx: RequestContext) -> dict[str, Any]:
    require_buyer(ctx)
    return {"items": await service.mine(ctx)}


@get("/channel-tasks/{task_id:int}", tags=TAGS)
async def get_task(ctx: RequestContext, task_id: int) -> dict[str, Any]:
    """The task with every assignment and the completion rate per region."""
    require_staff(ctx)
    return await service.detail(ctx, await service.task_of(ctx, task_id))


@post("/channel-tasks/assignments/{assignment_id:int}/answer", tags=TAGS, status_code=200)
async def answer_task(request: Request, ctx: RequestContext, assignment_id: int) -> dict[str, Any]:
    """The buyer of the assigned customer answers (again, after it was sent back)."""
    require_buyer(ctx)
    assignment, task = await answers.assignment_of(ctx, assignment_id)
    text, numbers, photos = await answer_input(request, max_mb(ctx))
    await answers.answer(ctx, assignment, task, text, numbers, photos, limit_mb=max_mb(ctx))
    view = service.assignment_view(ctx, assignment, task)
    await ctx.session.commit()
    return view


@post("/channel-tasks/assignments/{assignment_id:int}/review", tags=TAGS, status_code=200)
async def review_answer(request: Request, ctx: RequestContext, assignment_id: int) -> dict[str, Any]:
    """``{decision: "accept" | "return", comment?}`` (a comment is needed to send it back)."""
    require_staff(ctx, REVIEWERS)
    assignment, task = await answers.assignment_of(ctx, assignment_id)
    body = await json_body(request)
    await answers.review(ctx, assignment, body.get("decision"), body.get("comment"))
    view = service.assignment_view(ctx, assignment, task)
    await ctx.session.commit()
    return view


@post("/channel-tasks/remind", tags=TAGS, status_code=200)
async def remind_all(ctx: RequestContext) -> dict[str, Any]:
    """Send today's overdue reminders for every task (each customer at most once per task and day):
    an operator's daily cron may call it; page views also start it once a day."""
    require_staff(ctx, REVIEWERS)
    sent = await remind.send_all(ctx)
    await ctx.session.commit()
    return {"sent": sent}


HANDLERS = [create_task, list_tasks, my_tasks, get_task, answer_task, review_answer, remind_all]
