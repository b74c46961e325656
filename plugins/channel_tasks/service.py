"""Listings, completion rates (per task and per region) and the views pages and API share."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from qudao.core.customers.models import Customer
from qudao.core.errors import NotFound
from qudao.core.plugin_api import TenantContext
from qudao.plugins.channel_tasks.models import (
    ACCEPTED,
    STATUSES,
    SUBMITTED,
    UNANSWERED,
    Assignment,
    Reminder,
    Task,
)
from qudao.plugins.channel_tasks.publish import local_today

MAX_ROWS = 2000


def _rep_criteria(ctx: TenantContext) -> list[Any]:
    if ctx.user is not None and ctx.user.kind == "staff" and ctx.user.role == "sales_rep":
        return [Assignment.customer_id.in_(select(Customer.id).where(Customer.sales_rep_id == ctx.user.id))]
    return []


def rate(done: int, total: int) -> str:
    return f"{done * 100 / total:.1f}" if total else "0.0"


async def task_of(ctx: TenantContext, task_id: int) -> Task:
    if not 0 < task_id < 2**63:  # ids are 63-bit: anything else is no row (and no database error)
        raise NotFound("no such task")
    task = await ctx.session.scalar(select(Task).where(Task.id == task_id))
    if task is None:
        raise NotFound("no such task")
    return task


async def tasks_with_counts(ctx: TenantContext, limit: int = MAX_ROWS) -> list[dict[str, Any]]:
    """Tasks, newest first, with their answer counts (one grouped query)."""
    tasks = list((await ctx.session.scalars(select(Task).order_by(Task.created_at.desc()).limit(limit))).all())
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    for task_id, status, n in (await ctx.session.execute(
            select(Assignment.task_id, Assignment.status, func.count())
            .where(Assignment.task_id.in_([t.id for t in tasks]), *_rep_criteria(ctx))
            .group_by(Assignment.task_id, Assignment.status))).all():
        counts[task_id][status] = n
    return [task_view(ctx, t, counts[t.id]) for t in tasks]


def task_view(ctx: TenantContext, t: Task, counts: dict[str, int]) -> dict[str, Any]:
    total = sum(counts.values())
    return {"id": t.id, "title": t.title, "body": t.body, "due_date": t.due_date.isoformat(),
            "overdue": local_today(ctx) > t.due_date, "ask_text": t.ask_text, "min_photos": t.min_photos,
            "numbers": t.numbers or [], "audience": t.audience or {}, "customers": total,
            "counts": counts, "answered": counts.get(SUBMITTED, 0) + counts.get(ACCEPTED, 0),
            "completion_rate": rate(counts.get(ACCEPTED, 0), total),
            "answer_rate": rate(counts.get(SUBMITTED, 0) + counts.get(ACCEPTED, 0), total)}


async def detail(ctx: TenantContext, task: Task) -> dict[str, Any]:
    """The task, its assignments (with customers) and the completion rate per region."""
    rows = (await ctx.session.execute(
        select(Assignment, Customer).join(Customer, (Customer.tenant_id == Assignment.tenant_id)
                                          & (Customer.id == Assignment.customer_id))
        .where(Assignment.task_id == task.id, *_rep_criteria(ctx)).order_by(Customer.code).limit(MAX_ROWS))).all()
    counts = dict.fromkeys(STATUSES, 0)
    regions: dict[str, dict[str, int]] = defaultdict(lambda: {"total": 0, "accepted": 0, "answered": 0})
    items = []
    for a, c in rows:
        counts[a.status] += 1
        region = (c.region or "").split("/")[0] or "—"
        regions[region]["total"] += 1
        regions[region]["accepted"] += a.status == ACCEPTED
        regions[region]["answered"] += a.status in (SUBMITTED, ACCEPTED)
        items.append({**assignment_view(ctx, a, task), "customer": c.code, "customer_name": c.name,
                      "region": c.region or ""})
    reminded: dict[int, list[str]] = defaultdict(list)
    ids = [a.id for a, _ in rows]
    if ids:
        for assignment_id, day in (await ctx.session.execute(
                select(Reminder.assignment_id, Reminder.day).where(Reminder.assignment_id.in_(ids))
                .order_by(Reminder.day))).all():
            reminded[assignment_id].append(day)
    for item in items:
        item["reminded"] = reminded.get(item["id"], [])
    by_region = [{"region": r, **v, "completion_rate": rate(v["accepted"], v["total"])}
                 for r, v in sorted(regions.items())]
    return {**task_view(ctx, task, counts), "assignments": items, "regions": by_region}


def photo_url(ctx: TenantContext, a: Assignment, name: str) -> str:
    base = str(ctx.settings("channel_tasks").get("photo_url_base") or "").rstrip("/")
    if base:
        return f"{base}/{ctx.tenant.id}/channel_tasks/{name}"
    return f"/t/{ctx.tenant.slug}/channel-tasks/photos/{a.id}/{name}"


def assignment_view(ctx: TenantContext, a: Assignment, task: Task) -> dict[str, Any]:
    numbers = task.numbers or []
    answers = list(a.answer_numbers or [])
    return {"id": a.id, "task_id": task.id, "title": task.title, "due_date": task.due_date.isoformat(),
            "status": a.status, "overdue": a.status in UNANSWERED and local_today(ctx) > task.due_date,
            "text": a.answer_text, "numbers": [{"label": n.get("label"), "sku": n.get("sku"),
                                                "value": answers[i] if i < len(answers) else None}
                                               for i, n in enumerate(numbers)],
            "photos": [photo_url(ctx, a, p) for p in a.photos or []], "review_comment": a.review_comment,
            "submitted_at": a.submitted_at.isoformat() if a.submitted_at else None}


async def mine(ctx: TenantContext) -> list[dict[str, Any]]:
    """A buyer's tasks: unanswered first (by due date), then the rest, newest first."""
    customer_id = ctx.customer.id if ctx.customer is not None else -1
    rows = (await ctx.session.execute(
        select(Assignment, Task).join(Task, (Task.tenant_id == Assignment.tenant_id) & (Task.id == Assignment.task_id))
        .where(Assignment.customer_id == customer_id).order_by(Task.due_date.desc()).limit(200))).all()
    items = [{**assignment_view(ctx, a, t), "body": t.body, "ask_text": t.ask_text, "min_photos": t.min_photos}
             for a, t in rows]
    items.sort(key=lambda i: (i["status"] not in UNANSWERED, i["due_date"] if i["status"] in UNANSWERED else ""))
    return items


async def open_count(ctx: TenantContext) -> int:
    if ctx.customer is None:
        return 0
    return int(await ctx.session.scalar(select(func.count()).select_from(Assignment).where(
        Assignment.customer_id == ctx.customer.id, Assignment.status.in_(UNANSWERED))) or 0)


async def reported_stock(ctx: TenantContext, customer_id: int, product_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The latest counted stock per product from this customer's answers to stock-count tasks
    (submitted or accepted; a sent-back answer does not count)."""
    rows = (await ctx.session.execute(
        select(Assignment, Task).join(Task, (Task.tenant_id == Assignment.tenant_id) & (Task.id == Assignment.task_id))
        .where(Assignment.customer_id == customer_id, Assignment.status.in_((SUBMITTED, ACCEPTED)))
        .order_by(Assignment.submitted_at.desc()).limit(200))).all()
    wanted, out = set(product_ids), {}
    for a, t in rows:
        answers = list(a.answer_numbers or [])
        for i, spec in enumerate(t.numbers or []):
            pid = spec.get("product_id")
            if pid in wanted and pid not in out and i < len(answers) and answers[i] is not None:
                out[pid] = {"qty": int(answers[i]), "at": a.submitted_at, "source": f"task: {t.title}"}
    return out
