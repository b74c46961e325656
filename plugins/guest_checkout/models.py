"""Guest order attempts (rate limiting), share links with their clicks and orders, conversions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.plugin_api import Base, TenantOwned, tenant_fk, utcnow


class GuestAttempt(TenantOwned, Base):
    """One guest order placed (written in the order's transaction); counted per IP and phone."""

    __tablename__ = "guest_checkout_attempts"
    __table_args__ = (
        tenant_fk("order_id", "orders", ondelete="CASCADE"),
        Index("ix_guest_checkout_attempts_ip", "tenant_id", "ip", "at"),
        Index("ix_guest_checkout_attempts_phone", "tenant_id", "phone", "at"),
    )

    ip: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ShareLink(TenantOwned, Base):
    """单品分享: one product shared by one user (a buyer or a staff member)."""

    __tablename__ = "guest_checkout_share_links"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        UniqueConstraint("tenant_id", "sharer_user_id", "product_id"),
        tenant_fk("product_id", "products", ondelete="CASCADE"),
        tenant_fk("sharer_user_id", "users", ondelete="CASCADE"),
    )

    code: Mapped[str] = mapped_column(String(32))
    product_id: Mapped[int] = mapped_column(BigInteger)
    sku: Mapped[str] = mapped_column(String(64))
    sharer_user_id: Mapped[int] = mapped_column(BigInteger)
    sharer_kind: Mapped[str] = mapped_column(String(10))
    sharer_customer_id: Mapped[int | None] = mapped_column(BigInteger)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    last_click_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShareOrder(TenantOwned, Base):
    """An order attributed to a share link (the code the buyer arrived with)."""

    __tablename__ = "guest_checkout_share_orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_id"),
        tenant_fk("order_id", "orders", ondelete="CASCADE"),
        Index("ix_guest_checkout_share_orders_code", "tenant_id", "code"),
    )

    code: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[int] = mapped_column(BigInteger)
    order_number: Mapped[str] = mapped_column(String(40))
    total: Mapped[Decimal] = mapped_column()
    guest: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Conversion(TenantOwned, Base):
    """A guest turned into a customer from one of its orders."""

    __tablename__ = "guest_checkout_conversions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_id"),
        tenant_fk("order_id", "orders", ondelete="CASCADE"),
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
        Index("ix_guest_checkout_conversions_phone", "tenant_id", "phone"),
    )

    order_id: Mapped[int] = mapped_column(BigInteger)
    customer_id: Mapped[int] = mapped_column(BigInteger)
    phone: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
