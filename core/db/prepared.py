"""Statements built once per shape, for the hot paths (placing an order, the catalog).

Building a SQLAlchemy statement costs more CPU than running it: every ``==``, ``in_`` and
``case`` goes through operator dispatch and coercion, and a new statement object also gets its
cache key computed by walking the whole tree. On the order path that was about a third of the
web process's CPU (bench/RESULTS.md, session 7). A builder decorated with :func:`prepared`
returns the same statement object for the same shape arguments (the number of lines, a flag);
the values travel as ``bindparam`` values at execute time, so SQLAlchemy finds the compiled
form in its cache without rebuilding or re-keying anything.

Two kinds, both tenant-safe:

- ORM statements (``select(Model)``): the session's tenant filter (core/db/session.py) is
  added once per prepared statement and tenant and kept, instead of on every execution.
- Core statements on tables (``update(Model.__table__)``): they name ``tenant_id =
  :bound_tenant`` themselves (:func:`tenant_is`) and :func:`run` binds it to the session's
  tenant (none bound: a tenant that matches nothing); RLS checks them on PostgreSQL as always.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.db.session import NO_TENANT, PREPARED, TENANT_IN_STATEMENT, sync_of

F = TypeVar("F", bound=Callable[..., Any])

TENANT = "bound_tenant"  # the bind parameter :func:`run` fills with the session's tenant


def prepared(builder: F) -> F:
    """Build the statement once per (hashable) arguments and mark it for the tenant filter's
    per-tenant cache. The arguments are the statement's shape, never values."""

    @functools.lru_cache(maxsize=512)
    def build(*shape: Any) -> Any:
        stmt = builder(*shape)
        in_statement = bool(getattr(stmt, "_qudao_tenant_in_statement", False))
        if not in_statement and stmt._propagate_attrs.get("compile_state_plugin") != "orm":
            # the ORM's tenant filter applies to mapped classes only: a Core statement on tables
            # would run unfiltered where there is no RLS (SQLite)
            raise TypeError(f"{builder.__qualname__}: a Core statement must name its tenant "
                            "(tenant_is(table) in its WHERE) and be marked with tenant_filtered()")
        return stmt.execution_options(**{PREPARED: True, TENANT_IN_STATEMENT: in_statement})

    return functools.wraps(builder)(build)  # type: ignore[return-value]


def tenant_is(table: Any) -> Any:
    """``table.tenant_id = :bound_tenant``, for a Core statement that filters by tenant itself."""
    return table.c.tenant_id == bindparam(TENANT)


def tenant_filtered(stmt: Any) -> Any:
    """Mark a Core statement whose WHERE has :func:`tenant_is`: the ORM filter is not added."""
    stmt._qudao_tenant_in_statement = True
    return stmt


def in_list(column: Any, name: str, postgresql: bool) -> Any:
    """``column`` in the list bound as ``name`` (``postgresql``: ``core.db.session.on_postgresql``): on PostgreSQL ``= ANY(:name)``, one array
    parameter, so the statement's text (and the server's prepared plan) is the same for any
    length and asyncpg encodes one value; elsewhere an expanding ``IN``."""
    if postgresql:
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


async def run(session: AsyncSession, stmt: Any, **params: Any) -> Result[Any]:
    """Execute a prepared statement with ``params`` and the session's tenant as ``:bound_tenant``."""
    tid = sync_of(session).info.get("tenant_id")
    return await session.execute(stmt, {TENANT: NO_TENANT if tid is None else tid, **params})
