"""Guest order attempts (rate limiting), share links with their clicks and orders, conversions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.plugin_api import (
    Base,
    Code,
    Count,
    Created,
    CreatedAt,
    CustomerRef,
    OrderNumber,
    OrderRef,
    ProductRef,
    TenantOwned,
    UserRef,
)

ShareCode = Annotated[str, mapped_column(String(32))]
"""A share link's code, as in its URL; a share order keeps the code the buyer arrived with."""
Phone = Annotated[str, mapped_column(String(32))]
"""A guest's phone number as given at checkout: attempts are counted and guests converted by it."""


class GuestAttempt(TenantOwned, Base):
    """One guest order placed (written in the order's transaction); counted per IP and phone."""

    __tablename__ = "guest_checkout_attempts"
    __table_args__ = (
        Index("ix_guest_checkout_attempts_ip", "tenant_id", "ip", "at"),
        Index("ix_guest_checkout_attempts_phone", "tenant_id", "phone", "at"),
    )

    ip: Mapped[str] = mapped_column(String(64))
    phone: Mapped[Phone]
    order_id: Mapped[OrderRef | None]
    at: Mapped[CreatedAt]


class ShareLink(Created, TenantOwned, Base):
    """单品分享: one product shared by one user (a buyer or a staff member)."""

    __tablename__ = "guest_checkout_share_links"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        UniqueConstraint("tenant_id", "sharer_user_id", "product_id"),
    )

    code: Mapped[ShareCode]
    product_id: Mapped[ProductRef]
    sku: Mapped[Code]
    sharer_user_id: Mapped[UserRef]
    sharer_kind: Mapped[str] = mapped_column(String(10))
    sharer_customer_id: Mapped[int | None]
    clicks: Mapped[Count]
    last_click_at: Mapped[datetime | None]


class ShareOrder(Created, TenantOwned, Base):
    """An order attributed to a share link (the code the buyer arrived with)."""

    __tablename__ = "guest_checkout_share_orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_id"),
        Index("ix_guest_checkout_share_orders_code", "tenant_id", "code"),
    )

    code: Mapped[ShareCode]
    order_id: Mapped[OrderRef]
    order_number: Mapped[OrderNumber]
    total: Mapped[Decimal]
    guest: Mapped[bool] = mapped_column(default=False)


class Conversion(Created, TenantOwned, Base):
    """A guest turned into a customer from one of its orders."""

    __tablename__ = "guest_checkout_conversions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_id"),
        Index("ix_guest_checkout_conversions_phone", "tenant_id", "phone"),
    )

    order_id: Mapped[OrderRef]
    customer_id: Mapped[CustomerRef]
    phone: Mapped[Phone]
    user_id: Mapped[int | None]
