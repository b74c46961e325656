"""Staff and buyer logins (tenant-owned), API tokens, web sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.db.base import Base, TenantOwned, new_id, tenant_fk, utcnow

STAFF_ROLES = ("owner", "admin", "order_clerk", "warehouse", "finance", "sales_rep")
ADMIN_ROLES = ("owner", "admin")


class User(TenantOwned, Base):
    """A login: ``kind`` is ``staff`` (with a role) or ``customer`` (a buyer of one customer)."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email"),
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
    )

    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(10))
    role: Mapped[str | None] = mapped_column(String(20))
    customer_id: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def is_admin(self) -> bool:
        return self.kind == "staff" and self.role in ADMIN_ROLES


class ApiToken(TenantOwned, Base):
    """A bearer token, stored as a SHA-256 hash; revocable and listed on the user's page."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        UniqueConstraint("tenant_id", "token_hash"),
        tenant_fk("user_id", "users", ondelete="CASCADE"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger)
    token_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100), default="api")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class WebSession(Base):
    """Server-side page session (global table: it also serves platform operators).

    The cookie carries a random id; only its hash is stored. Sessions live in
    the shared database, so any web pod can serve any request.
    """

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    operator_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class LoginAttempt(Base):
    """Every sign-in attempt (the log the throttle counts; shared by all web pods).

    ``outcome`` is ``ok``, ``failed`` or ``throttled``; ``device`` the known-device id
    the browser proved, if any.
    """

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=new_id, autoincrement=False)
    account_key: Mapped[str] = mapped_column(String(300), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    outcome: Mapped[str] = mapped_column(String(16), default="failed", server_default="failed")
    device: Mapped[str | None] = mapped_column(String(32))
