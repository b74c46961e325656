"""WeChat tables: bindings (user <-> openid), messages (one per event and recipient), tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.plugin_api import (
    Base,
    Count,
    Created,
    CreatedAt,
    Email,
    Int32,
    JsonDict,
    OrderNumber,
    TenantOwned,
    UserRef,
    utcnow,
)

# Message statuses.
QUEUED = "queued"  # waiting for the worker (also after a transient failure)
SENDING = "sending"  # claimed by a worker (lease: ``claimed_at``)
SENT = "sent"
FAILED_PERMANENT = "failed_permanent"  # WeChat refused for good (43004, 40003, 40037, 47003, …)
RETRY_LATER = "retry_later"  # daily quota or credentials needing a human; resent by the sweep
OUTBOX = "outbox"  # no WeChat account configured: recorded so the admin sees it
SKIPPED = "skipped"  # account configured but the recipient has no WeChat bound (any more)
STATUSES = (QUEUED, SENDING, SENT, FAILED_PERMANENT, RETRY_LATER, OUTBOX, SKIPPED)
FINAL = (SENT, FAILED_PERMANENT, OUTBOX, SKIPPED)


class WeChatBinding(TenantOwned, Base):
    """One WeChat (openid of the tenant's official account) per login."""

    __tablename__ = "wechat_bindings"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id"),
        Index("ix_wechat_bindings_openid", "tenant_id", "openid"),
    )

    user_id: Mapped[UserRef]
    openid: Mapped[str] = mapped_column(String(64))
    appid: Mapped[str] = mapped_column(String(64), default="")
    via: Mapped[str] = mapped_column(String(10))  # oauth | scene
    bound_at: Mapped[CreatedAt]


class WeChatMessage(TenantOwned, Base):
    """A template message for one event and one recipient; never two for the same pair."""

    __tablename__ = "wechat_messages"
    __table_args__ = (
        UniqueConstraint("tenant_id", "event_id", "user_id"),
        Index("ix_wechat_messages_status", "tenant_id", "status"),
        Index("ix_wechat_messages_created", "tenant_id", "created_at"),
    )

    event_id: Mapped[str] = mapped_column(String(120))  # e.g. "order:123:shipped"
    event: Mapped[str] = mapped_column(String(40))  # order_submitted, staff_new_order, …
    user_id: Mapped[int]  # the recipient (no FK: the log outlives logins)
    recipient: Mapped[Email] = mapped_column(default="")  # email at the time, for the log
    order_number: Mapped[OrderNumber | None]
    data: Mapped[JsonDict]
    url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default=QUEUED)
    template_id: Mapped[str | None] = mapped_column(String(100))
    openid: Mapped[str | None] = mapped_column(String(64))
    errcode: Mapped[Int32 | None]
    errmsg: Mapped[str | None] = mapped_column(String(300))
    msgid: Mapped[int | None]
    attempts: Mapped[Count]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class WeChatToken(TenantOwned, Base):
    """Access-token cache shared by every worker (the token itself is encrypted)."""

    __tablename__ = "wechat_tokens"
    __table_args__ = (UniqueConstraint("tenant_id", "cache_key"),)

    cache_key: Mapped[str] = mapped_column(String(200))
    token: Mapped[str] = mapped_column(String(1000))
    expires_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WeChatQrCode(Created, TenantOwned, Base):
    """The temporary QR code (WeChat ticket) shown on a login's binding page, cached until
    shortly before WeChat's expiry; deleted when the login binds (its scene is consumed)."""

    __tablename__ = "wechat_qr_codes"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)

    user_id: Mapped[UserRef]
    appid: Mapped[str] = mapped_column(String(64))  # the account the ticket belongs to
    scene: Mapped[str] = mapped_column(String(64))  # the signed scene code inside the QR
    ticket: Mapped[str] = mapped_column(String(500))
    url: Mapped[str] = mapped_column(String(300), default="")  # the QR's content
    expires_at: Mapped[datetime]  # WeChat's expiry of the ticket
