"""A per-process cache of each tenant's row and plugin states, checked on every request.

Every request needs the tenant (by slug), its settings and which plugins it has on with their
settings: three statements each time before, and the same answer almost always. Each web
process now keeps them, keyed by slug, with the tenant's ``config_version``. The transaction's
first statement (the tenant binding, core/db/session.py) also reads that version, so a request
whose cache entry is current costs no statement at all for it; a stale one reloads.

Invalidation works across processes: any change to a ``Tenant`` row or to a ``PluginState`` made
through the ORM bumps ``tenants.config_version`` in the same transaction (listeners below), so
the next request in *any* process sees a new version and reloads. Writes that bypass the ORM
(bulk loads, hand-written SQL) must bump it themselves. Chosen over a TTL because a TTL leaves
a window where one pod has a plugin on and another off, and the check is free on PostgreSQL (on
SQLite it is one small primary-key read).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from qudao.core.db.base import TenantConfig
from qudao.core.db.session import CONFIG_CHANGED, bind_tenant, on_postgresql, transaction_note
from qudao.core.plugins.host import PluginHost
from qudao.core.plugins.models import PluginState
from qudao.tenants.models import Tenant

_COLUMNS = [c.key for c in Tenant.__table__.columns]
MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class Entry:
    row: dict[str, Any]  # the tenant's columns
    version: int
    plugin_rows: tuple[tuple[str, bool, dict[str, Any]], ...]


_cache: dict[str, Entry] = {}


def clear() -> None:
    _cache.clear()


async def _load(session: AsyncSession, slug: str) -> Entry | None:
    tenant = await session.scalar(select(Tenant).where(Tenant.slug == slug)
                                  .execution_options(populate_existing=True))
    if tenant is None:
        return None
    await bind_tenant(session, tenant.id)
    session.sync_session.info["tenant_version"] = tenant.config_version  # as _current_version keeps it
    rows = (await session.execute(select(PluginState.name, PluginState.enabled, PluginState.settings))).all()
    entry = Entry(row={k: getattr(tenant, k) for k in _COLUMNS}, version=tenant.config_version,
                  plugin_rows=tuple((r.name, bool(r.enabled), r.settings or {}) for r in rows))
    if len(_cache) >= MAX_ENTRIES:
        _cache.pop(next(iter(_cache)))
    _cache[slug] = entry
    return entry


async def _current_version(session: AsyncSession, tenant_id: int) -> int | None:
    """The tenant's version as the transaction's binding statement read it (one read on SQLite)."""
    await session.connection()  # begins the transaction: the binding statement runs now
    info = session.sync_session.info
    if on_postgresql(session):
        return info.get("tenant_version")
    # kept for the rest of this transaction, as PostgreSQL's binding statement keeps it
    info["tenant_version"] = await session.scalar(select(Tenant.config_version).where(Tenant.id == tenant_id))
    return info["tenant_version"]


async def resolve(session: AsyncSession, slug: str, host: PluginHost
                  ) -> tuple[Tenant | None, frozenset[str], dict[str, Any]]:
    """The tenant of ``slug`` bound on ``session``, its enabled plugins and their settings.

    The tenant is a fresh instance in ``session`` (changes to it are flushed as usual); the
    settings are copies, so a request may change them without touching the cache.
    """
    entry = _cache.get(slug)
    if entry is not None:
        await bind_tenant(session, entry.row["id"])
        if await _current_version(session, entry.row["id"]) != entry.version:
            entry = None
    if entry is None:
        entry = await _load(session, slug)
        if entry is None:
            _cache.pop(slug, None)
            return None, frozenset(), {}
        tenant = await session.get(Tenant, entry.row["id"])
    else:
        tenant = session.sync_session.identity_map.get(identity_key(Tenant, entry.row["id"]))
        if tenant is None:
            tenant = Tenant(**{**entry.row, "settings": copy.deepcopy(entry.row["settings"])})
            make_transient_to_detached(tenant)
            session.add(tenant)
    enabled = frozenset(name for name, on, _ in entry.plugin_rows if on and name in host.metas)
    settings = {name: host.metas[name].defaults() for name in host.names}
    for name, _on, values in entry.plugin_rows:
        if name in settings:
            settings[name] = {**settings[name], **copy.deepcopy(values)}
    return tenant, enabled, settings


# --- invalidation: a change to a tenant or its plugin states bumps its version ---------------


@event.listens_for(Session, "before_flush")
def _bump_changed_tenants(session: Session, _ctx: Any, _instances: Any) -> None:
    plugin_tenants: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, PluginState | TenantConfig):
            tid = obj.tenant_id if obj.tenant_id is not None else session.info.get("tenant_id")
            if tid is not None:
                plugin_tenants.add(tid)
        elif isinstance(obj, Tenant) and obj in session.dirty and session.is_modified(obj):
            obj.config_version = Tenant.config_version + 1  # type: ignore[assignment]
    if plugin_tenants:
        session.info.setdefault("tenants_to_bump", set()).update(plugin_tenants)
        transaction_note(session, CONFIG_CHANGED, set).update(plugin_tenants)


@event.listens_for(Session, "do_orm_execute")
def _bump_for_statements(state: ORMExecuteState) -> None:
    """ORM ``update``/``delete`` statements on configuration rows bump the version too."""
    mapper = None if state.is_select else state.bind_mapper
    tid = state.session.info.get("tenant_id")
    if mapper is not None and tid is not None and issubclass(mapper.class_, PluginState | TenantConfig):
        state.session.info.setdefault("tenants_to_bump", set()).add(tid)
        transaction_note(state.session, CONFIG_CHANGED, set).add(tid)


@event.listens_for(Session, "before_commit")
def _bump_before_commit(session: Session) -> None:
    """What ORM statements noted (they flush nothing, so the after-flush bump may not run)."""
    if session.info.get("tenants_to_bump"):
        _bump_after_flush(session, None)


@event.listens_for(Session, "after_flush")
def _bump_after_flush(session: Session, _ctx: Any) -> None:
    ids = session.info.pop("tenants_to_bump", None)
    if ids:
        session.connection().execute(update(Tenant.__table__).where(Tenant.__table__.c.id.in_(sorted(ids)))
                                     .values(config_version=Tenant.__table__.c.config_version + 1))
