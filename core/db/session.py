"""Engine, sessions and the tenant guard.

The request's tenant is bound once on the session (``bind_tenant``). From then
on the ORM adds ``tenant_id = :bound`` to every SELECT/UPDATE/DELETE of a
``TenantOwned`` model and stamps/validates it on INSERT; with no tenant bound,
tenant-owned rows match nothing (fail closed). On PostgreSQL every transaction
starts with one statement that switches to the non-owner app role and sets the tenant for
row-level security, both local to the transaction (``set_config('role', …, true)``,
``set_config('app.tenant_id', …, true)``), so RLS catches anything the ORM missed; the
same statement reads the tenant's ``config_version`` (``session.info["tenant_version"]``)
and ``catalog_version`` (``session.info["catalog_version"]``), which let per-process caches of
tenant settings and plugin states, and of the catalog's visible products, check themselves for free.
Jobs collected during a unit of work are sent only after it commits.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from qudao.core.db.base import TenantOwned, new_id

NO_TENANT = -1


class TenantMismatch(Exception):
    """An INSERT or UPDATE tried to write a row into another tenant."""


POOL_SIZE = 30  # PostgreSQL connections one process keeps (QUDAO_DB_POOL_SIZE for the web process)


def make_engine(url: str, *, app_role: str | None = None, pool_size: int = POOL_SIZE) -> AsyncEngine:
    """The process's engine. On PostgreSQL the pool keeps every connection it opened, up to
    ``pool_size`` (no overflow): an overflow connection is closed at checkin whenever more than
    the pool's size are idle, and under a steady load above that size the pool then opens and
    closes connections all the time (a new backend, its prepared statements, at every turn; 12
    a second under the 32-buyer order bench with 10 + 20 overflow)."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _sqlite_setup(engine)
    else:
        engine = create_async_engine(url, pool_size=pool_size, max_overflow=0)
        ping_when_idle(engine)
    engine.sync_engine.qudao_app_role = None if url.startswith("sqlite") else app_role  # type: ignore[attr-defined]
    return engine


PING_AFTER_IDLE = 5.0  # seconds


def ping_when_idle(engine: AsyncEngine) -> None:
    """``pool_pre_ping`` for a connection that sat idle in the pool, not for every checkout.

    The asyncpg adapter's ping is three round trips (BEGIN, ``;``, ROLLBACK), which
    ``pool_pre_ping`` paid before every request's transaction. A connection checked in less
    than :data:`PING_AFTER_IDLE` seconds ago is handed out as is: should it have died meanwhile
    (PostgreSQL restarted), the request gets a 503 and the disconnect invalidates the whole pool,
    so the next checkouts connect afresh (tests/test_fault_postgres_restart.py)."""
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "connect")
    @event.listens_for(pool, "checkin")
    def _idle_from_now(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("idle_since", 0.0) < PING_AFTER_IDLE:
            return
        try:
            dbapi_connection.ping()
        except Exception as error:  # the pool discards this connection and checks out another
            raise exc.DisconnectionError(str(error)) from error


def _sqlite_setup(engine: AsyncEngine) -> None:
    """WAL, a busy timeout and BEGIN IMMEDIATE: one writer at a time, no 'database is locked'."""

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


async def bind_tenant(session: AsyncSession, tenant_id: int | None) -> None:
    """Bind the tenant for the rest of this session (and the current transaction)."""
    info = session.sync_session.info
    info["tenant_id"] = tenant_id
    if session.in_transaction():
        versions = await session.run_sync(lambda sync: apply_db_tenant(sync.connection(), tenant_id))
        info["tenant_version"], info["catalog_version"] = versions


def sync_of(session: AsyncSession | Session) -> Session:
    """The ORM Session behind an AsyncSession (or the Session itself)."""
    return session.sync_session if isinstance(session, AsyncSession) else session


def on_postgresql(session: AsyncSession) -> bool:
    """Whether the session talks to PostgreSQL (RLS, row locks, arrays) rather than SQLite."""
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def current_tenant(session: AsyncSession | Session) -> int | None:
    return sync_of(session).info.get("tenant_id")


def binding_sql(role: str | None, tenant_id: int | None) -> str:
    """The one statement that binds a PostgreSQL transaction: app role, tenant, tenant's versions.

    ``set_config(…, true)`` is ``SET LOCAL``: it ends with the transaction, so nothing leaks
    into the next user of a pooled connection.
    """
    value = NO_TENANT if tenant_id is None else int(tenant_id)  # int(): never interpolate text
    parts = []
    if role:
        parts.append("set_config('role', '{}', true)".format(role.replace("'", "''")))
    parts.append(f"set_config('app.tenant_id', '{value}', true)")
    if tenant_id is not None:
        parts.append(f"(SELECT config_version FROM tenants WHERE id = {value})")  # noqa: S608 - an int
        parts.append(f"(SELECT catalog_version FROM tenants WHERE id = {value})")  # noqa: S608 - an int
    return "SELECT " + ", ".join(parts)


def apply_db_tenant(conn: Connection, tenant_id: int | None) -> tuple[int | None, int | None]:
    """Bind ``conn``'s transaction; returns the tenant's config and catalog versions (None, None:
    no such tenant, no tenant, or not PostgreSQL)."""
    if conn.dialect.name != "postgresql":
        return None, None
    row = conn.exec_driver_sql(binding_sql(getattr(conn.engine, "qudao_app_role", None), tenant_id)).first()
    return (row[-2], row[-1]) if tenant_id is not None and row is not None else (None, None)


@event.listens_for(Session, "after_begin")
def _after_begin(session: Session, _transaction: Any, connection: Connection) -> None:
    info = session.info
    info["tenant_version"], info["catalog_version"] = apply_db_tenant(connection, info.get("tenant_id"))


PREPARED = "qudao_prepared"  # execution option of statements built once (core/db/prepared.py)
TENANT_IN_STATEMENT = "qudao_tenant_in_statement"  # … whose WHERE names the tenant itself


@event.listens_for(Session, "do_orm_execute")
def _tenant_filter(state: ORMExecuteState) -> None:
    options = state.execution_options
    if options.get("all_tenants") or options.get(TENANT_IN_STATEMENT) or not (
        state.is_select or state.is_update or state.is_delete
    ):
        return
    tid = state.session.info.get("tenant_id")
    tid = NO_TENANT if tid is None else tid
    if options.get(PREPARED):
        state.statement = _filtered(state.statement, tid)
    else:
        state.statement = state.statement.options(tenant_criteria(tid))


_FILTERED: OrderedDict[tuple[int, int], tuple[Any, Any]] = OrderedDict()
FILTERED_MAX = 2048  # about 8 KB each with its cache key: at most ~16 MB per process


def _filtered(stmt: Any, tid: int) -> Any:
    """A prepared statement with the tenant filter, kept per (statement, tenant), least recently
    used out: a new statement would be re-keyed for SQLAlchemy's cache on every execution. The
    entry holds the statement itself, so its id is not reused while the entry lives."""
    key = (id(stmt), tid)
    entry = _FILTERED.get(key)
    if entry is None or entry[0] is not stmt:
        entry = _FILTERED[key] = (stmt, stmt.options(tenant_criteria(tid)))
        if len(_FILTERED) > FILTERED_MAX:
            _FILTERED.popitem(last=False)
    else:
        _FILTERED.move_to_end(key)
    return entry[1]


_CRITERIA: dict[int, Any] = {}


def tenant_criteria(tid: int) -> Any:
    """The tenant filter option, built once per tenant and process: building it analyses the
    lambda each time, a visible share of every query's CPU on the order path."""
    option = _CRITERIA.get(tid)
    if option is None:
        if len(_CRITERIA) >= 10_000:
            _CRITERIA.clear()
        option = _CRITERIA[tid] = with_loader_criteria(TenantOwned, lambda cls: cls.tenant_id == tid,
                                                       include_aliases=True)
    return option


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session: Session, _ctx: Any, _instances: Any) -> None:
    tid = session.info.get("tenant_id")
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, TenantOwned):
            continue
        if obj.tenant_id is None:
            if tid is None:
                raise TenantMismatch(f"no tenant bound while inserting {type(obj).__name__}")
            obj.tenant_id = tid
        elif tid is not None and obj.tenant_id != tid:
            raise TenantMismatch(f"{type(obj).__name__} belongs to another tenant")


# --- short autonomous transactions (order-number counters) ---------------------------

_side_engines: dict[tuple[str, int], AsyncEngine] = {}


def side_engine(engine: AsyncEngine) -> AsyncEngine:
    """A small separate pool for short autonomous transactions next to a request's own.

    Taking a second connection from the request's pool could deadlock when every pooled
    connection belongs to a request waiting for its second one; this pool's connections
    are held for one statement and never wait on anything else. One per event loop,
    because asyncpg connections belong to the loop that opened them.
    """
    return _side_of(engine.sync_engine)


def _side_of(sync_engine: Any) -> AsyncEngine:
    import asyncio

    key = (sync_engine.url.render_as_string(hide_password=False), id(asyncio.get_running_loop()))
    side = _side_engines.get(key)
    if side is None:
        if sync_engine.dialect.name == "sqlite":  # a busy timeout and BEGIN IMMEDIATE like the main pool
            side = create_async_engine(sync_engine.url, connect_args={"timeout": 30})
            _sqlite_setup(side)
        else:
            side = create_async_engine(sync_engine.url, pool_size=2, max_overflow=6)
            ping_when_idle(side)
        side.sync_engine.qudao_app_role = getattr(sync_engine, "qudao_app_role", None)  # type: ignore[attr-defined]
        _side_engines[key] = side
    return side


def side_engine_for(session: Session) -> AsyncEngine | None:
    """The side pool next to the async engine behind a (sync) session; None for a sync engine."""
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    return _side_of(engine) if engine.dialect.is_async else None


# --- jobs sent after commit -------------------------------------------------

JobSender = Callable[[str, dict[str, Any], int | None], None]
_job_sender: list[JobSender] = []
MAX_DELAY_MS = 7 * 24 * 3600 * 1000


def set_job_sender(sender: JobSender | None) -> None:
    """The worker package installs the broker here; core only knows actor names.

    The sender is called as ``sender(actor, kwargs, delay_ms)`` (``delay_ms`` None: at once).
    """
    _job_sender.clear()
    if sender is not None:
        _job_sender.append(sender)


def send_job(actor: str, kwargs: dict[str, Any], delay_ms: int | None = None) -> None:
    """Hand one job to the installed sender now (the outbox relay's way out); raises if none."""
    if not _job_sender:
        raise RuntimeError("no job broker is set up in this process")
    for send in _job_sender:
        send(actor, kwargs, delay_ms)


def enqueue_after_commit(session: AsyncSession | Session, actor: str, *, delay_ms: int | None = None,
                         **kwargs: Any) -> None:
    """Collect a job during the unit of work; it is sent only if the transaction commits.

    ``delay_ms``: run it no earlier than this many milliseconds after the commit (Dramatiq's
    delay queue; the in-process broker honours it too). Not passed to the job.
    """
    if delay_ms is not None and (isinstance(delay_ms, bool) or not isinstance(delay_ms, int)
                                 or not 0 <= delay_ms <= MAX_DELAY_MS):
        raise ValueError(f"delay_ms must be a whole number of milliseconds, 0 to {MAX_DELAY_MS}")
    sync = sync_of(session)
    kwargs.setdefault("tenant_id", sync.info.get("tenant_id"))
    transaction_note(sync, "pending_jobs", list).append((new_id(), actor, kwargs, delay_ms))


_TRANSACTION_NOTES: set[str] = set()
CONFIG_CHANGED = "tenant_config_changed"  # tenants whose configuration this transaction changed


def config_changed(session: AsyncSession | Session) -> bool:
    """Whether this transaction changed the tenant's configuration (plugin states, price
    policies): its reads are then newer than the ``config_version`` it began with, so caches
    keyed by that version must be read past."""
    return bool(sync_of(session).info.get(CONFIG_CHANGED))


def transaction_note(session: AsyncSession | Session, key: str, default: Callable[[], Any]) -> Any:
    """A value kept in ``session.info`` for the current transaction only: dropped when it
    commits (after the jobs are sent) or rolls back, so nothing leaks into the next one."""
    _TRANSACTION_NOTES.add(key)
    return sync_of(session).info.setdefault(key, default())


@event.listens_for(Session, "before_commit")
def _write_outbox(session: Session) -> None:
    """The unit's jobs go into the outbox (core/outbox.py) in the same transaction: one INSERT."""
    if not session.info.get("pending_jobs"):
        return
    session.flush()  # jobs enqueued by flush-time hooks belong to this unit too
    jobs = session.info.get("pending_jobs", [])
    written = session.info.setdefault("outbox_written", set())
    new = [job for job in jobs if job[0] not in written]
    if new:
        from qudao.core import outbox

        outbox.write(session, new)
        written.update(job[0] for job in new)


@event.listens_for(Session, "after_commit")
def _send_jobs(session: Session) -> None:
    """Fast path: send the committed unit's jobs now and mark them sent; what cannot be
    sent (broker down) stays in the outbox for the relay."""
    jobs = session.info.pop("pending_jobs", [])
    written = session.info.pop("outbox_written", set())
    for key in _TRANSACTION_NOTES:
        session.info.pop(key, None)
    sent: list[int] = []
    for job_id, actor, kwargs, delay_ms in jobs:
        try:
            for send in _job_sender:
                send(actor, kwargs, delay_ms)
        except Exception as exc:  # noqa: BLE001 - the outbox row is kept; the relay sends it
            import structlog

            structlog.get_logger("qudao.outbox").warning("job_send_failed", actor=actor, error=repr(exc),
                                                         kept=job_id in written)
            continue
        if _job_sender and job_id in written:
            sent.append(job_id)
    if sent:
        from qudao.core import outbox

        outbox.mark_sent(session, sent)


@event.listens_for(Session, "after_soft_rollback")
def _drop_notes(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop("outbox_written", None)
        for key in _TRANSACTION_NOTES:
            session.info.pop(key, None)


# --- the process-wide database -----------------------------------------------


class Database:
    """Holds the engine and session factory for one process."""

    def __init__(self, url: str, app_role: str | None = None, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self.engine = make_engine(url, app_role=app_role, pool_size=pool_size)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self, tenant_id: int | None = None) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            await bind_tenant(session, tenant_id)
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
