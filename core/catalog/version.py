"""The tenant's catalog version: bumped by every committed change to what a buyer may see.

Which products a buyer sees, and in what order, depends on products, brands and categories and
on plugin rows such as brand authorizations. Each of those models is marked
``CatalogVisibility``; a transaction that writes one of them through the ORM (objects, or ORM
``insert``/``update``/``delete`` statements) bumps ``tenants.catalog_version`` as the last
statement before it commits. The transaction's first statement reads the version for free
(core/db/session.py), so a per-process cache keyed by it (core/catalog/listing.py) is never
older than the data: the version is read before the transaction's reads, and a change and its
bump commit together.

The bump runs at commit, not at flush, so the tenant row is locked only while committing: two
transactions that edit products cannot deadlock on it. Writes that bypass the ORM (hand-written
SQL, ``add_rows``) must call :func:`bump_catalog` themselves.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from qudao.core.db.session import on_postgresql, sync_of, transaction_note
from qudao.tenants.models import Tenant

_KEY = "catalog_changed"  # session.info: ids of the tenants whose catalog this transaction changed


class CatalogVisibility:
    """Marks a model whose rows decide which products a buyer sees (a change bumps the
    tenant's catalog version)."""


def bump_catalog(session: AsyncSession | Session, tenant_id: int | None = None) -> None:
    """Note that this transaction changes the catalog of ``tenant_id`` (default: the bound one)."""
    sync = sync_of(session)
    tid = tenant_id if tenant_id is not None else sync.info.get("tenant_id")
    if tid is not None:
        transaction_note(sync, _KEY, set).add(tid)


def catalog_changed(session: AsyncSession | Session) -> bool:
    """Whether this transaction has (or is about to flush) changes to the catalog: its reads
    are then newer than the version it started with."""
    sync = sync_of(session)
    return bool(sync.info.get(_KEY)) or any(
        isinstance(obj, CatalogVisibility) for obj in (*sync.new, *sync.dirty, *sync.deleted))


async def catalog_version(session: AsyncSession) -> int | None:
    """The bound tenant's catalog version as this transaction began (one read on SQLite)."""
    await session.connection()  # begins the transaction: the binding statement runs now
    info = session.sync_session.info
    if on_postgresql(session):
        return info.get("catalog_version")
    tid = info.get("tenant_id")
    return None if tid is None else await session.scalar(select(Tenant.catalog_version).where(Tenant.id == tid))


@event.listens_for(Session, "before_flush")
def _note_changed_objects(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in (*session.new, *session.deleted, *session.dirty):
        if isinstance(obj, CatalogVisibility) and (obj not in session.dirty or session.is_modified(obj)):
            bump_catalog(session, getattr(obj, "tenant_id", None))


@event.listens_for(Session, "do_orm_execute")
def _note_changing_statements(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    mapper = state.bind_mapper
    if mapper is not None and issubclass(mapper.class_, CatalogVisibility):
        bump_catalog(state.session)


@event.listens_for(Session, "before_commit")
def _bump_before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outer commit bumps
    if any(isinstance(obj, CatalogVisibility) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.flush()  # the commit's own flush comes after this event; its changes count too
    ids = session.info.pop(_KEY, None)
    if ids:
        table = Tenant.__table__
        session.connection().execute(update(table).where(table.c.id.in_(sorted(ids)))
                                     .values(catalog_version=table.c.catalog_version + 1))
