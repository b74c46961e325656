"""The ids of the products a caller sees, in SKU order, cached per tenant catalog version.

A catalog page must say how many products the caller sees (``total``) and show the ones at an
offset. Both walk the visible products in the database: on a 100,000-SKU tenant the count and an
OFFSET of 50,000 cost about 40 ms of PostgreSQL per page, whatever the page size. The answer
changes only when the catalog does, so each process keeps, per listing, the visible ids in order
(8 bytes an id) and serves any page by slicing them; the page's rows are then read by id.

A listing is keyed by the tenant, its catalog version and the listing statement itself (its
SQLAlchemy cache key and bound values: the caller's visibility criteria as plugins build them
from their settings, a search, the filters), so two buyers with the same rights share an entry
and a change of rights, of plugins or of the catalog (core/catalog/version.py) makes a new one. A transaction that
has changed the catalog itself reads past the cache. The cache holds at most ``MAX_IDS`` ids
in all, least recently used out first.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.catalog.version import catalog_changed, catalog_version

MAX_IDS = 2_000_000  # ~16 MB of ids per process

_cache: OrderedDict[Hashable, array] = OrderedDict()
_held = 0


def clear() -> None:
    global _held
    _cache.clear()
    _held = 0


def _hashable(value: Any) -> Hashable:
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def _listing_key(stmt: Select[Any]) -> Hashable | None:
    """The statement's identity: its structure and every bound value (None: not cacheable)."""
    key = stmt._generate_cache_key()  # the key SQLAlchemy's own statement cache uses
    if key is None:
        return None
    return key.key, tuple(_hashable(p.effective_value) for p in key.bindparams)


def _remember(key: Hashable, ids: array) -> None:
    global _held
    if len(ids) > MAX_IDS:
        return
    _cache[key] = ids
    _held += len(ids)
    while _held > MAX_IDS:
        _, dropped = _cache.popitem(last=False)
        _held -= len(dropped)


async def visible_ids(session: AsyncSession, stmt: Select[Any]) -> array:
    """The ids ``stmt`` (a ``SELECT products.id … ORDER BY …``) returns, from the cache when the
    tenant's catalog has not changed since they were read."""
    info = session.sync_session.info
    version = await catalog_version(session)
    listing = _listing_key(stmt)
    if version is None or listing is None or catalog_changed(session):
        return array("q", (await session.scalars(stmt)).all())
    key = (info.get("tenant_id"), version, listing)
    ids = _cache.get(key)
    if ids is None:
        ids = array("q", (await session.scalars(stmt)).all())
        _remember(key, ids)
    else:
        _cache.move_to_end(key)
    return ids
