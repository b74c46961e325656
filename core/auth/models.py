"""Staff and buyer logins (tenant-owned), API tokens, web sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.db.base import Base, TenantOwned
from qudao.core.db.columns import CreatedAt, CustomerRef, Email, GlobalId, Int32, Name, UserRef

STAFF_ROLES = ("owner", "admin", "order_clerk", "warehouse", "finance", "sales_rep")
ADMIN_ROLES = ("owner", "admin")


class User(TenantOwned, Base):
    """A login: ``kind`` is ``staff`` (with a role) or ``customer`` (a buyer of one customer)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    email: Mapped[Email]
    name: Mapped[Name] = mapped_column(default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(10))
    role: Mapped[str | None] = mapped_column(String(20))
    customer_id: Mapped[CustomerRef | None]
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    session_version: Mapped[Int32] = mapped_column(default=1)
    created_at: Mapped[CreatedAt]

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def is_admin(self) -> bool:
        return self.kind == "staff" and self.role in ADMIN_ROLES


class ApiToken(TenantOwned, Base):
    """A bearer token, stored as a SHA-256 hash; revocable and listed on the user's page."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("tenant_id", "token_hash"),)

    user_id: Mapped[UserRef]
    token_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100), default="api")
    created_at: Mapped[CreatedAt]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class WebSession(Base):
    """Server-side page session (global table: it also serves platform operators).

    The cookie carries a random id; only its hash is stored. Sessions live in
    the shared database, so any web pod can serve any request.
    """

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(index=True)
    operator_id: Mapped[int | None]
    created_at: Mapped[CreatedAt]
    expires_at: Mapped[datetime]


class LoginAttempt(Base):
    """Every sign-in attempt (the log the throttle counts; shared by all web pods).

    ``outcome`` is ``ok``, ``failed`` or ``throttled``; ``device`` the known-device id
    the browser proved, if any.
    """

    __tablename__ = "login_attempts"

    id: Mapped[GlobalId]
    account_key: Mapped[str] = mapped_column(String(300), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[CreatedAt] = mapped_column(index=True)
    outcome: Mapped[str] = mapped_column(String(16), default="failed", server_default="failed")
    device: Mapped[str | None] = mapped_column(String(32))
