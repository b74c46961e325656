"""Declarative base and the tenant-owned mixin.

Every tenant-owned table has ``tenant_id`` first in its primary key and in
every unique key and foreign key to another tenant-owned table, so tables can
be distributed by ``tenant_id`` (Citus) without redesign. Ids are generated in
Python (time ordered 63-bit integers) because SQLite cannot autoincrement a
composite primary key.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    MetaData,
    Numeric,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, declared_attr, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_lock = threading.Lock()
_last = [0, 0]
_node = int.from_bytes(os.urandom(1), "big") & 0x0F


def new_id() -> int:
    """Time-ordered id: 41 bits of milliseconds, 4 bits of node, 18 bits of sequence."""
    with _lock:
        now = int(time.time() * 1000) - 1_700_000_000_000
        if now <= _last[0]:
            _last[1] += 1
            if _last[1] >= 1 << 18:
                _last[0] += 1
                _last[1] = 0
            now = _last[0]
        else:
            _last[0], _last[1] = now, 0
        return (now << 22) | (_node << 18) | _last[1]


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores UTC; always returns an aware datetime (SQLite drops tzinfo)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use UTC-aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_CENT = Decimal("0.01")


class Money(TypeDecorator):
    """Decimal money column; SQLite has no NUMERIC, so keep exact strings there."""

    impl = Numeric(18, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        from sqlalchemy import String

        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(18, 4))

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be Decimal, never float")
        value = Decimal(value)
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        """PostgreSQL answers NUMERIC(18,4) as 45.0000: give back the 2 places a
        CNY amount was stored with (more only where they are significant)."""
        if value is None:
            return None
        amount = Decimal(str(value))
        cents = amount.quantize(_CENT)
        return cents if cents == amount else amount.normalize()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: Money(), int: BigInteger()}


class TenantConfig:
    """Marks a model whose rows are part of the tenant's configuration (price policies): any ORM
    change to one bumps ``tenants.config_version`` in the same transaction (tenants/cache.py),
    so per-process caches keyed by that version (the tenant cache, the price engine's policies)
    read them again, in every process."""


class TenantOwned:
    """Mixin for tenant-owned rows. The session filters and stamps ``tenant_id``.

    ``tenant_id`` is a foreign key to ``tenants`` unless the class names ``__tenant_parent__``:
    a table each of whose rows belongs to one row of that parent (an order's lines, an account's
    ledger), through a non-null ``tenant_ref`` to it with ``ON DELETE CASCADE``. That key already
    pins the row's tenant (the parent's ``(tenant_id, id)``) and deleting the tenant reaches the
    row through the parent, so the direct key would only cost: PostgreSQL checks it by locking
    the tenant's one row ``FOR KEY SHARE`` for every row inserted, which every concurrent order
    of the tenant shares (25 checks per 10-line order, a new multixact on the hottest row)."""

    __tenant_parent__: ClassVar[str | None] = None

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:  # noqa: N805
        if cls.__dict__.get("__tenant_parent__"):
            return mapped_column(BigInteger, primary_key=True)
        return mapped_column(BigInteger, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)

    @declared_attr
    def id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(BigInteger, primary_key=True, default=new_id, autoincrement=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Adds the foreign key of each :func:`tenant_ref` column (it needs the whole table)."""
        super().__init_subclass__(**kwargs)  # maps the class: its Table exists from here on
        table = cls.__dict__.get("__table__")
        for column in table.columns if table is not None else ():
            if _REF in column.info:
                target, ondelete = column.info[_REF]
                table.append_constraint(tenant_fk(column.name, target, ondelete=ondelete))
        parent = cls.__dict__.get("__tenant_parent__")
        if parent and table is not None and not any(
            column.info.get(_REF) == (parent, "CASCADE") and not column.nullable for column in table.columns
        ):
            raise TypeError(f"{cls.__name__}: __tenant_parent__ {parent!r} needs a non-null "
                            f"tenant_ref({parent!r}, ondelete='CASCADE') column")


def tenant_fk(column: str, table: str, *, ondelete: str | None = None) -> ForeignKeyConstraint:
    """A foreign key to another tenant-owned table, always including tenant_id."""
    return ForeignKeyConstraint(
        ["tenant_id", column], [f"{table}.tenant_id", f"{table}.id"], ondelete=ondelete
    )


_REF = "tenant_ref"


def tenant_ref(table: str, *, ondelete: str | None = None, **kwargs: Any) -> MappedColumn[Any]:
    """A column holding the id of a row of another tenant-owned ``table``, with its foreign key
    said where the column is: ``tier_id: Mapped[int] = tenant_ref("tiers", ondelete="CASCADE")``.

    The key is :func:`tenant_fk`'s ``(tenant_id, column) -> (table.tenant_id, table.id)``, added to
    the table when ``TenantOwned`` maps the class; ``kwargs`` go to ``mapped_column``."""
    return mapped_column(BigInteger, info={_REF: (table, ondelete)}, **kwargs)


def tenant_owned_tables() -> list[str]:
    return sorted(t.name for t in Base.metadata.sorted_tables if "tenant_id" in t.c and t.name != "tenants")
