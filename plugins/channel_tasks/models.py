"""HQ tasks (任务下发): a task, one assignment per customer it was published to (with the answer
and the review), and the reminders sent (one per assignment and local day)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.plugin_api import (
    Base,
    Count,
    Created,
    CreatedAt,
    CustomerRef,
    JsonDict,
    JsonList,
    TenantOwned,
    tenant_ref,
)

OPEN, SUBMITTED, ACCEPTED, RETURNED = "open", "submitted", "accepted", "returned"
STATUSES = (OPEN, SUBMITTED, ACCEPTED, RETURNED)
UNANSWERED = (OPEN, RETURNED)


class Task(Created, TenantOwned, Base):
    """``numbers``: ``[{label, sku?}]`` asked for (a SKU makes it a stock count of that product);
    ``audience``: who it was published to (``regions, types, tiers, tags, customers``)."""

    __tablename__ = "channel_tasks_tasks"
    __table_args__ = (Index("ix_channel_tasks_tasks_due", "tenant_id", "due_date"),)

    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    due_date: Mapped[date]
    ask_text: Mapped[bool] = mapped_column(default=True)
    min_photos: Mapped[Count]
    numbers: Mapped[JsonList[dict[str, Any]]]
    audience: Mapped[JsonDict]
    created_by: Mapped[int | None]


class Assignment(TenantOwned, Base):
    __tablename__ = "channel_tasks_assignments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "task_id", "customer_id"),
        Index("ix_channel_tasks_assignments_customer", "tenant_id", "customer_id", "status"),
    )

    task_id: Mapped[int] = tenant_ref("channel_tasks_tasks", ondelete="CASCADE")
    customer_id: Mapped[CustomerRef]
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    answer_text: Mapped[str] = mapped_column(Text, default="")
    answer_numbers: Mapped[JsonList[Any]]  # one per task.numbers entry
    photos: Mapped[JsonList[str]]  # stored names
    answered_by: Mapped[int | None]
    submitted_at: Mapped[datetime | None]
    review_comment: Mapped[str] = mapped_column(String(1000), default="")
    reviewed_by: Mapped[int | None]
    reviewed_at: Mapped[datetime | None]


class Reminder(TenantOwned, Base):
    """The unique key is the once-a-day guard: a reminder is sent only by the job that inserted it."""

    __tablename__ = "channel_tasks_reminders"
    __table_args__ = (UniqueConstraint("tenant_id", "assignment_id", "day"),)

    assignment_id: Mapped[int] = tenant_ref("channel_tasks_assignments", ondelete="CASCADE")
    day: Mapped[str] = mapped_column(String(10))
    sent_at: Mapped[CreatedAt]


class Sweep(TenantOwned, Base):
    """One row per local day on which the reminder job was started by a page view (the daily trigger)."""

    __tablename__ = "channel_tasks_sweeps"
    __table_args__ = (UniqueConstraint("tenant_id", "day"),)

    day: Mapped[str] = mapped_column(String(10))
    at: Mapped[CreatedAt]
