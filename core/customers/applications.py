"""A store's application to become a brand's customer, and the staff's review of it.

A visitor fills in the storefront's form (company, contact, phone, email, region, address and the
password they want); it waits as ``pending`` in the admin's review list. Approving creates the
customer (code, type and tier chosen by staff) and its buyer login with the password the applicant
chose (kept only as its Argon2 hash); rejecting keeps the reason. Nothing else is changed.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.auth.passwords import hash_password, password_problem
from qudao.core.customers.models import CUSTOMER_TYPES, Customer
from qudao.core.customers.service import upsert_buyer, upsert_customer
from qudao.core.db.base import Base, TenantOwned, utcnow
from qudao.core.db.columns import Code, CreatedAt, Email, Name, Note
from qudao.core.errors import Conflict, InputError, NotFound
from qudao.core.validation import Fields, check_code
from qudao.tenants.provisioning import EMAIL_RE

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
MAX_PENDING = 500  # a flood of applications stops here instead of filling the table


class CustomerApplication(TenantOwned, Base):
    __tablename__ = "customer_applications"
    __table_args__ = (Index("ix_customer_applications_status", "tenant_id", "status", "created_at"),)

    company: Mapped[Name]
    contact: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(40))
    email: Mapped[Email]
    region: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    customer_code: Mapped[Code | None]
    reason: Mapped[Note]
    reviewed_by: Mapped[int | None]
    reviewed_at: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]


async def submit(session: AsyncSession, data: dict[str, Any]) -> CustomerApplication:
    f = Fields(data)
    company = f.text("company", required=True, max_len=200)
    contact = f.text("contact", required=True, max_len=100)
    phone = f.text("phone", required=True, max_len=40)
    email = (f.text("email", required=True, max_len=254) or "").strip().lower()
    region = f.text("region", max_len=200) or ""
    address = f.text("address", max_len=300) or ""
    note = f.text("note", max_len=2000) or ""
    if email and not EMAIL_RE.match(email):
        f.error("email", "must be a valid email address")
    problem = password_problem(data.get("password"))
    if problem:
        f.error("password", problem)
    f.check()
    from qudao.core.auth.models import User

    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise InputError("already has a login here: sign in instead", field="email")
    if await session.scalar(select(CustomerApplication.id).where(CustomerApplication.email == email,
                                                                 CustomerApplication.status == PENDING)):
        raise InputError("has an application waiting for review already", field="email")
    waiting = await session.scalar(select(func.count()).select_from(CustomerApplication)
                                   .where(CustomerApplication.status == PENDING)) or 0
    if waiting >= MAX_PENDING:
        raise Conflict("too many applications are waiting for review; please try again later")
    app = CustomerApplication(company=company, contact=contact, phone=phone, email=email, region=region,
                              address=address, note=note, password_hash=hash_password(str(data["password"])))
    session.add(app)
    await session.flush()
    return app


async def pending_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(CustomerApplication)
                                    .where(CustomerApplication.status == PENDING)) or 0)


async def application(session: AsyncSession, app_id: int) -> CustomerApplication:
    app = await session.scalar(select(CustomerApplication).where(CustomerApplication.id == app_id))
    if app is None:
        raise NotFound("no such application")
    return app


async def approve(session: AsyncSession, app: CustomerApplication, data: dict[str, Any], *,
                  user_id: int | None) -> Customer:
    """Create the customer (``code``, ``type``, ``tier``, ``parent`` from staff) and its buyer login."""
    if app.status != PENDING:
        raise Conflict(f"this application is {app.status} already")
    f = Fields(data)
    code = (f.text("code", required=True, max_len=64) or "").strip()
    ctype = f.text("type", max_len=20) or "store"
    if ctype not in CUSTOMER_TYPES:
        f.error("type", f"must be one of {', '.join(CUSTOMER_TYPES)}")
    f.check()
    check_code(code)
    if await session.scalar(select(Customer.id).where(Customer.code == code)) is not None:
        raise InputError(f"a customer with code '{code}' already exists", field="code")
    body: dict[str, Any] = {"name": app.company, "type": ctype, "region": app.region or None,
                            "addresses": [{"contact": app.contact, "phone": app.phone, "address": app.address}]
                            if app.address else []}
    for key in ("tier", "parent"):
        if str(data.get(key) or "").strip():
            body[key] = str(data[key]).strip()
    customer, _ = await upsert_customer(session, code, body)
    user, _ = await upsert_buyer(session, code, app.email, {"password": secrets.token_urlsafe(18) + "aA1!",
                                                            "name": app.contact})
    user.password_hash = app.password_hash  # the password the applicant chose
    app.status, app.customer_code, app.reviewed_by, app.reviewed_at = APPROVED, code, user_id, utcnow()
    return customer


async def reject(app: CustomerApplication, reason: str, *, user_id: int | None) -> None:
    if app.status != PENDING:
        raise Conflict(f"this application is {app.status} already")
    reason = (reason or "").strip()[:500]
    if not reason:
        raise InputError("give a reason", field="reason")
    app.status, app.reason, app.reviewed_by, app.reviewed_at = REJECTED, reason, user_id, utcnow()


def suggested_code(app: CustomerApplication) -> str:
    return f"AP-{str(app.id)[-6:]}"
