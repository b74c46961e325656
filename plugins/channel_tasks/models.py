"""HQ tasks (任务下发): a task, one assignment per customer it was published to (with the answer
and the review), and the reminders sent (one per assignment and local day)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.plugin_api import Base, TenantOwned, tenant_fk, utcnow

OPEN, SUBMITTED, ACCEPTED, RETURNED = "open", "submitted", "accepted", "returned"
STATUSES = (OPEN, SUBMITTED, ACCEPTED, RETURNED)
UNANSWERED = (OPEN, RETURNED)


class Task(TenantOwned, Base):
    """``numbers``: ``[{label, sku?}]`` asked for (a SKU makes it a stock count of that product);
    ``audience``: who it was published to (``regions, types, tiers, tags, customers``)."""

    __tablename__ = "channel_tasks_tasks"
    __table_args__ = (Index("ix_channel_tasks_tasks_due", "tenant_id", "due_date"),)

    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    due_date: Mapped[date] = mapped_column(Date)
    ask_text: Mapped[bool] = mapped_column(default=True)
    min_photos: Mapped[int] = mapped_column(Integer, default=0)
    numbers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Assignment(TenantOwned, Base):
    __tablename__ = "channel_tasks_assignments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "task_id", "customer_id"),
        tenant_fk("task_id", "channel_tasks_tasks", ondelete="CASCADE"),
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
        Index("ix_channel_tasks_assignments_customer", "tenant_id", "customer_id", "status"),
    )

    task_id: Mapped[int] = mapped_column(BigInteger)
    customer_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    answer_text: Mapped[str] = mapped_column(Text, default="")
    answer_numbers: Mapped[list[Any]] = mapped_column(JSON, default=list)  # one per task.numbers entry
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)  # stored names
    answered_by: Mapped[int | None] = mapped_column(BigInteger)
    submitted_at: Mapped[datetime | None] = mapped_column()
    review_comment: Mapped[str] = mapped_column(String(1000), default="")
    reviewed_by: Mapped[int | None] = mapped_column(BigInteger)
    reviewed_at: Mapped[datetime | None] = mapped_column()


class Reminder(TenantOwned, Base):
    """The unique key is the once-a-day guard: a reminder is sent only by the job that inserted it."""

    __tablename__ = "channel_tasks_reminders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "assignment_id", "day"),
        tenant_fk("assignment_id", "channel_tasks_assignments", ondelete="CASCADE"),
    )

    assignment_id: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[str] = mapped_column(String(10))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class Sweep(TenantOwned, Base):
    """One row per local day on which the reminder job was started by a page view (the daily trigger)."""

    __tablename__ = "channel_tasks_sweeps"
    __table_args__ = (UniqueConstraint("tenant_id", "day"),)

    day: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(default=utcnow)
