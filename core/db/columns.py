"""Column kinds said once, for core's and plugins' models (plugins import them from plugin_api).

Each is an ``Annotated`` type whose ``mapped_column`` SQLAlchemy applies wherever it is used:
``code: Mapped[Code]`` is ``code: Mapped[str] = mapped_column(String(64))``, ``Mapped[Code | None]``
the nullable one, and a ``mapped_column(...)`` on the right adds to it (``index=True``,
``default="CNY"``). Plain types need no alias: the base's ``type_annotation_map`` makes every
``Mapped[int]`` a BIGINT (ids, references, ``*_minor`` money), ``Mapped[Decimal]`` a ``Money``
and ``Mapped[datetime]`` a ``UTCDateTime``. The migrations hold the same columns; keep any change
here in step with them (tests/test_schema_citus.py compares models and migrations).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeVar

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from qudao.core.db.base import new_id, tenant_ref, utcnow

T = TypeVar("T")

GlobalId = Annotated[int, mapped_column(primary_key=True, default=new_id, autoincrement=False)]
"""The id of a global (not tenant-owned) table; tenant-owned tables get theirs from TenantOwned."""

Code = Annotated[str, mapped_column(String(64))]
"""A tenant's own code for a thing (SKU, customer, tier, brand, coupon): what the API shows."""
Name = Annotated[str, mapped_column(String(200))]
OrderNumber = Annotated[str, mapped_column(String(40))]
"""An order's number as people read it (``SO20261122-0001``), kept beside the order id."""
Email = Annotated[str, mapped_column(String(254))]
Currency = Annotated[str, mapped_column(String(3))]
"""ISO 4217 code; amounts in ``*_minor`` columns have this currency's places (core/money)."""
Note = Annotated[str, mapped_column(String(500), default="")]
"""Free text a person wrote; "" when there is none."""

CustomerRef = Annotated[int, tenant_ref("customers", ondelete="CASCADE")]
"""The customer a row is about, its foreign key with ``ON DELETE CASCADE``: the row goes with the
customer (``Mapped[CustomerRef | None]`` where it may be about no one in particular)."""
OrderRef = Annotated[int, tenant_ref("orders", ondelete="CASCADE")]
"""The order a row belongs to (a payment, a redemption, an attribution), gone with the order."""
ProductRef = Annotated[int, tenant_ref("products", ondelete="CASCADE")]
"""The product a row is about (a price, a share link), gone with the product."""
TierRef = Annotated[int, tenant_ref("tiers", ondelete="CASCADE")]
"""The customer tier a row is for (a tier price, a targeted tier), gone with the tier."""
UserRef = Annotated[int, tenant_ref("users", ondelete="CASCADE")]
"""The login a row belongs to (a binding, a sharer), gone with the login."""

Int32 = Annotated[int, mapped_column(Integer)]
"""A plain INTEGER (quantities, limits), where ``Mapped[int]`` alone would be a BIGINT."""
Count = Annotated[int, mapped_column(Integer, default=0)]
"""An INTEGER that starts at 0: a counter, or a quantity not yet given."""

JsonList = Annotated[list[T], mapped_column(JSON, default=list)]
"""A JSON list, empty by default: ``Mapped[JsonList[str]]`` (codes, tags, regions …)."""
JsonDict = Annotated[dict[str, Any], mapped_column(JSON, default=dict)]
"""A JSON object, empty by default."""
Json = Annotated[dict[str, Any], mapped_column(JSON)]
"""A JSON object with no default (``Mapped[Json | None]`` where it may be absent)."""

CreatedAt = Annotated[datetime, mapped_column(default=utcnow)]
"""When the row was written (UTC); also the kind of ``at``/``sent_at`` columns stamped once."""
UpdatedAt = Annotated[datetime, mapped_column(default=utcnow, onupdate=utcnow)]
"""When the row was written, then moved on by every ORM update of it."""


class Timestamps:
    """``created_at`` and ``updated_at`` (moved on by every ORM update). Name it before
    ``TenantOwned`` in the bases so the columns come after the class's own, as in the migrations."""

    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class ActiveTimestamps(Timestamps):
    """``active`` (True by default; staff switch a row off rather than delete it) and the timestamps."""

    active: Mapped[bool] = mapped_column(default=True)


class Coded:
    """A tenant's own ``code`` for the row, unique per tenant (the API and imports find rows by it),
    and its ``name``; both first in the table, as in the migrations.

    The unique key comes as the mixin's ``__table_args__``: a class that needs table args of its
    own must list ``UniqueConstraint("tenant_id", "code")`` among them again."""

    code: Mapped[Code] = mapped_column(sort_order=-1)
    name: Mapped[Name] = mapped_column(sort_order=-1)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (UniqueConstraint("tenant_id", "code"),)
