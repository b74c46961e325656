"""Rows written together: many tables' INSERTs in one statement on PostgreSQL.

A unit of work such as placing an order writes rows into several tables (the order, its
lines, adjustments, events, stock moves, …). Through the ORM that is one INSERT per table,
one round trip each. ``add_rows`` collects plain rows instead; they are written before the
transaction's next flush, statement through the session (unless it is :func:`independent`
of them) or commit, on
PostgreSQL as one statement of data-modifying CTEs (``WITH a AS (INSERT …), b AS (INSERT …)
SELECT 1``: foreign keys are checked at the end of the statement, so parents and children may
share it), on SQLite as one multi-row INSERT per table. Tenant-owned rows are stamped and checked against the bound tenant
exactly as the ORM does for objects (core/db/session.py), ids and Python-side column defaults
are filled in, and row-level security checks every row as usual.

Use it on hot paths for rows written once and not changed again in the transaction; the ORM
stays the right tool everywhere else.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Table, bindparam, event, insert, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from qudao.core.db.session import TenantMismatch, sync_of, transaction_note

_KEY = "pending_rows"
_INDEPENDENT = "qudao_independent_of_queued_rows"
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
        for key, make, value in _defaults(table):
            if key not in row:
                row[key] = make(None) if make is not None else value
        done.append(row)
    transaction_note(sync, _KEY, list).append((table, done))
    return done


@functools.cache
def _defaults(table: Table) -> tuple[tuple[str, Any, Any], ...]:
    """(key, callable or None, scalar) of the columns with a Python-side default, once per table."""
    out = []
    for column in table.c:
        default = column.default
        if default is None:
            continue
        if getattr(default, "is_callable", False):
            out.append((column.key, default.arg, None))  # type: ignore[attr-defined]
        elif getattr(default, "is_scalar", False):
            out.append((column.key, None, default.arg))  # type: ignore[attr-defined]
    return tuple(out)


def _grouped(pending: list[tuple[Table, list[dict[str, Any]]]]) -> list[tuple[Table, list[dict[str, Any]]]]:
    """Rows by table and set of columns (a multi-row INSERT needs the same columns), parents first."""
    groups: dict[tuple[Table, frozenset[str]], list[dict[str, Any]]] = {}
    for table, rows in pending:
        for row in rows:
            groups.setdefault((table, frozenset(row)), []).append(row)
    order = _table_order(next(iter(groups))[0].metadata) if groups else {}
    return [(table, rows) for (table, _cols), rows in sorted(groups.items(), key=lambda g: order.get(g[0][0], 0))]


_ORDER: dict[tuple[int, int], dict[Table, int]] = {}


def _table_order(metadata: Any) -> dict[Table, int]:
    """Parents before children; ``sorted_tables`` sorts the whole schema on every call, so the
    order is kept per metadata and table count (plugins add tables as they load)."""
    key = (id(metadata), len(metadata.tables))
    if key not in _ORDER:
        _ORDER[key] = {t: i for i, t in enumerate(metadata.sorted_tables)}
    return _ORDER[key]


Shape = tuple[tuple[Table, tuple[str, ...], int], ...]  # (table, column keys, row count) per group


def _parts(dialect: str, pending: list[tuple[Table, list[dict[str, Any]]]]) -> list[list[tuple[Table, list[dict[str, Any]]]]]:
    """Groups per statement: all in one on PostgreSQL (split only past the bind parameter
    limit), one per table elsewhere."""
    if dialect != "postgresql":
        return [[group] for group in pending]
    out: list[list[tuple[Table, list[dict[str, Any]]]]] = []
    part: list[tuple[Table, list[dict[str, Any]]]] = []
    params = 0
    for table, rows in pending:
        size = len(rows) * len(rows[0])
        if part and params + size > MAX_PARAMS:
            out.append(part)
            part, params = [], 0
        part.append((table, rows))
        params += size
    if part:
        out.append(part)
    return out


def _statement(shape: Shape) -> Any:
    """The INSERT (or WITH … INSERT CTEs) for a shape, with one named bind parameter per value."""

    def values(g: int, table: Table, keys: tuple[str, ...], count: int) -> Any:
        return insert(table).values([
            {key: bindparam(f"p{g}_{r}_{c}", type_=table.c[key].type) for c, key in enumerate(keys)}
            for r in range(count)
        ])

    if len(shape) == 1:
        return values(0, *shape[0])
    stmt = select(literal_column("1"))
    for g, (table, keys, count) in enumerate(shape):
        stmt = stmt.add_cte(values(g, table, keys, count).cte(f"w{g}_{table.name}"))
    return stmt


Plan = tuple[str, list[tuple[int, int, str, Any]]]  # SQL text; (group, row, key, bind processor) per position
_COMPILED: dict[tuple[str, Shape], Plan] = {}
_COMPILED_MAX = 512


def _compiled(dialect: Any, shape: Shape) -> Plan:
    """SQL text and the positional order of its values with their bind processors, compiled
    once per shape: a multi-row INSERT is not in SQLAlchemy's statement cache, and compiling
    an order's ~250 parameters every time was a third of the web process's CPU per order
    (bench/RESULTS.md)."""
    cache_key = (dialect.name, shape)
    plan = _COMPILED.get(cache_key)
    if plan is None:
        compiled = _statement(shape).compile(dialect=dialect)
        where = {f"p{g}_{r}_{c}": (g, r, key) for g, (_t, keys, n) in enumerate(shape) for r in range(n)
                 for c, key in enumerate(keys)}
        processors = compiled._bind_processors
        plan = (compiled.string, [(*where[name], processors.get(name)) for name in compiled.positiontup or ()])
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        _COMPILED[cache_key] = plan
    return plan


def _write(sync: Session) -> None:
    pending = sync.info.pop(_KEY, None)
    if not pending:
        return
    conn = sync.connection()
    for part in _parts(conn.dialect.name, _grouped(pending)):
        sql, order = _compiled(conn.dialect, tuple((table, tuple(rows[0]), len(rows)) for table, rows in part))
        params = tuple(proc(part[g][1][r][key]) if proc else part[g][1][r][key] for g, r, key, proc in order)
        conn.exec_driver_sql(sql, params)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    _write(session)  # first: objects flushed now may refer to these rows


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _write(session)


def independent(stmt: Any) -> Any:
    """Mark a statement that neither reads nor refers to rows queued with :func:`add_rows` (a
    lock on, or a conditional UPDATE of, a row of another table): the queued rows are not
    written before it, so they still go out with the transaction's later rows as one statement
    (an order's rows and its plugins' rows, at commit)."""
    return stmt.execution_options(**{_INDEPENDENT: True})


@event.listens_for(Session, "do_orm_execute")
def _before_statement(state: ORMExecuteState) -> None:
    """A statement through the session sees, and may refer to, the queued rows: they are written
    before it, unless it is :func:`independent` of them."""
    if state.session.info.get(_KEY) and not state.execution_options.get(_INDEPENDENT):
        _write(state.session)
