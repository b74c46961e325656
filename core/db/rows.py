"""Rows written together: many tables' INSERTs in one statement on PostgreSQL.

A unit of work such as placing an order writes rows into several tables (the order, its
lines, adjustments, events, stock moves, …). Through the ORM that is one INSERT per table,
one round trip each. ``add_rows`` collects plain rows instead; they are written before the
transaction's next flush, query through the session or commit (or by ``write_rows``), on
PostgreSQL as one statement of data-modifying CTEs (``WITH a AS (INSERT …), b AS (INSERT …)
SELECT 1``: foreign keys are checked at the end of the statement, so parents and children may
share it), on SQLite as one multi-row INSERT per table. Tenant-owned rows are stamped and checked against the bound tenant
exactly as the ORM does for objects (core/db/session.py), ids and Python-side column defaults
are filled in, and row-level security checks every row as usual.

Use it on hot paths for rows written once and not changed again in the transaction; the ORM
stays the right tool everywhere else.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, event, insert, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from qudao.core.db.session import TenantMismatch, sync_of, transaction_note

_KEY = "pending_rows"
MAX_PARAMS = 30_000  # asyncpg allows 32,767 bind parameters per statement


def table_of(target: Any) -> Table:
    return target if isinstance(target, Table) else target.__table__


def add_rows(session: AsyncSession | Session, target: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Queue ``rows`` for ``target`` (a mapped class or a Table); returns them completed
    (tenant, id and defaults filled in)."""
    sync = sync_of(session)
    table = table_of(target)
    tid = sync.info.get("tenant_id")
    owned = "tenant_id" in table.c and table.name != "tenants"
    done = []
    for row in rows:
        row = dict(row)
        if owned:
            if row.get("tenant_id") is None:
                if tid is None:
                    raise TenantMismatch(f"no tenant bound while inserting into {table.name}")
                row["tenant_id"] = tid
            elif tid is not None and row["tenant_id"] != tid:
                raise TenantMismatch(f"a row for {table.name} belongs to another tenant")
        for column in table.c:
            if column.key not in row and column.default is not None:
                default = column.default
                if getattr(default, "is_callable", False):
                    row[column.key] = default.arg(None)  # type: ignore[attr-defined]
                elif getattr(default, "is_scalar", False):
                    row[column.key] = default.arg  # type: ignore[attr-defined]
        done.append(row)
    transaction_note(sync, _KEY, list).append((table, done))
    return done


def _grouped(pending: list[tuple[Table, list[dict[str, Any]]]]) -> list[tuple[Table, list[dict[str, Any]]]]:
    """Rows by table and set of columns (a multi-row INSERT needs the same columns), parents first."""
    groups: dict[tuple[Table, frozenset[str]], list[dict[str, Any]]] = {}
    for table, rows in pending:
        for row in rows:
            groups.setdefault((table, frozenset(row)), []).append(row)
    order = {t: i for i, t in enumerate(next(iter(groups))[0].metadata.sorted_tables)} if groups else {}
    return [(table, rows) for (table, _cols), rows in sorted(groups.items(), key=lambda g: order.get(g[0][0], 0))]


def _statements(dialect: str, pending: list[tuple[Table, list[dict[str, Any]]]]) -> list[Any]:
    """One statement for all (PostgreSQL, split only past the bind parameter limit), or one per table."""
    if dialect != "postgresql":
        return [insert(table).values(rows) for table, rows in pending]
    out, group, params = [], [], 0
    for table, rows in pending:
        size = len(rows) * len(rows[0])
        if group and params + size > MAX_PARAMS:
            out.append(group)
            group, params = [], 0
        group.append((table, rows))
        params += size
    if group:
        out.append(group)
    statements = []
    for part in out:
        if len(part) == 1:
            statements.append(insert(part[0][0]).values(part[0][1]))
            continue
        stmt = select(literal_column("1"))
        for i, (table, rows) in enumerate(part):
            stmt = stmt.add_cte(insert(table).values(rows).cte(f"w{i}_{table.name}"))
        statements.append(stmt)
    return statements


def _write(sync: Session) -> None:
    pending = sync.info.pop(_KEY, None)
    if not pending:
        return
    conn = sync.connection()
    for stmt in _statements(conn.dialect.name, _grouped(pending)):
        conn.execute(stmt)


async def write_rows(session: AsyncSession) -> None:
    """Write the queued rows now (a flush or commit would do it too)."""
    if session.sync_session.info.get(_KEY):
        await session.run_sync(_write)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    _write(session)  # first: objects flushed now may refer to these rows


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _write(session)


@event.listens_for(Session, "do_orm_execute")
def _before_select(state: ORMExecuteState) -> None:
    """A query through the session sees the queued rows (they are written before it)."""
    if state.is_select and state.session.info.get(_KEY):
        _write(state.session)
