"""The migrated schema is Citus-ready, matches the models, and isolates tenants.

* Every tenant-owned table (a ``tenant_id`` column; ``tenants`` and ``web_sessions``
  are global) has ``tenant_id`` in its primary key, in every unique constraint and
  unique index, and in every foreign key to another tenant-owned table, so each
  table can be distributed by ``tenant_id`` and co-located. A global table may not
  point at a tenant-owned one (a reference table cannot reference a distributed one).
* Alembic's migrations produce exactly core's models (``compare_metadata``).
* On PostgreSQL each tenant table has row-level security enabled and forced, and
  the app role with no tenant set counts 0 rows; on SQLite the ORM guard is checked
  instead (a session with no tenant bound sees no tenant rows).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    inspect,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from qudao.core.db.rls import GLOBAL_TABLES
from tests.conftest import TenantAPI

# Alembic's bookkeeping, not ours to check.
BOOKKEEPING = ("alembic_version", "plugin_")


def citus_problems(conn: Connection, global_tables: set[str] = GLOBAL_TABLES) -> list[str]:
    """Every way the schema would stop ``create_distributed_table(t, 'tenant_id')``."""
    insp = inspect(conn)
    tables = [t for t in insp.get_table_names() if not t.startswith(BOOKKEEPING)]
    columns = {t: {c["name"] for c in insp.get_columns(t)} for t in tables}
    owned = {t for t in tables if "tenant_id" in columns[t] and t not in global_tables}
    problems: list[str] = []
    for table in sorted(tables):
        fks = insp.get_foreign_keys(table)
        if table not in owned:
            for fk in fks:
                if fk["referred_table"] in owned:
                    problems.append(f"{table} (global) has a foreign key to tenant-owned {fk['referred_table']}")
            continue
        pk = insp.get_pk_constraint(table).get("constrained_columns") or []
        if "tenant_id" not in pk:
            problems.append(f"{table}: primary key {pk} lacks tenant_id")
        for uq in insp.get_unique_constraints(table):
            if "tenant_id" not in uq["column_names"]:
                problems.append(f"{table}: unique constraint {uq.get('name')} {uq['column_names']} lacks tenant_id")
        for ix in insp.get_indexes(table):
            cols = [c for c in ix.get("column_names") or [] if c]
            if ix.get("unique") and "tenant_id" not in cols:
                problems.append(f"{table}: unique index {ix.get('name')} {cols or ix.get('expressions')} "
                                "lacks tenant_id")
        for fk in fks:
            if fk["referred_table"] not in owned:
                continue
            pairs = dict(zip(fk["constrained_columns"], fk["referred_columns"], strict=True))
            if pairs.get("tenant_id") != "tenant_id":
                problems.append(f"{table}: foreign key {fk.get('name')} {fk['constrained_columns']} -> "
                                f"{fk['referred_table']}{fk['referred_columns']} does not match tenant_id to tenant_id")
    return problems


def count_sql(table: str, where: str = "") -> Any:
    # table names come from the database's own catalog, never from input
    return text(f'SELECT count(*) FROM "{table}"{where}')  # noqa: S608


def tenant_owned(conn: Connection) -> list[str]:
    insp = inspect(conn)
    return sorted(t for t in insp.get_table_names()
                  if t not in GLOBAL_TABLES and not t.startswith(BOOKKEEPING)
                  and any(c["name"] == "tenant_id" for c in insp.get_columns(t)))


async def on_db(settings: Any, fn: Any) -> Any:
    engine = create_async_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


async def test_tenant_tables_are_distributable_by_tenant_id(test_settings: Any) -> None:
    owned = await on_db(test_settings, tenant_owned)
    # not vacuous: the core tables are there (plugins add theirs)
    assert {"products", "customers", "orders", "order_lines", "stock", "users"} <= set(owned), owned
    problems = await on_db(test_settings, citus_problems)
    assert not problems, "schema is not Citus-ready:\n  " + "\n  ".join(problems)


def kept_after_tenant_delete(conn: Connection) -> list[str]:
    """Tenant-owned tables whose rows would outlive their tenant: neither a foreign key to
    ``tenants`` with ON DELETE CASCADE nor one with CASCADE to a table that goes with the tenant
    (a ``__tenant_parent__``'s rows go through their parent, core/db/base.py)."""
    insp = inspect(conn)
    owned = tenant_owned(conn)
    cascades = {t: {fk["referred_table"] for fk in insp.get_foreign_keys(t)
                    if (fk.get("options") or {}).get("ondelete", "").upper() == "CASCADE"} for t in owned}
    gone = {"tenants"}
    while True:
        more = {t for t in owned if t not in gone and cascades[t] & gone}
        if not more:
            return sorted(set(owned) - gone)
        gone |= more


async def test_deleting_a_tenant_reaches_every_tenant_table(test_settings: Any) -> None:
    assert "order_lines" in await on_db(test_settings, tenant_owned)
    kept = await on_db(test_settings, kept_after_tenant_delete)
    assert not kept, f"rows of these tables would outlive their tenant: {kept}"


async def test_the_checker_catches_each_mistake(tmp_path: Any) -> None:
    """The check above is only worth something if it fails on a bad schema."""
    md = MetaData()
    Table("tenants", md, Column("id", Integer, primary_key=True))
    Table("good", md, Column("tenant_id", Integer, primary_key=True), Column("id", Integer, primary_key=True),
          Column("code", String), UniqueConstraint("tenant_id", "code"))
    Table("bad_pk", md, Column("id", Integer, primary_key=True), Column("tenant_id", Integer))
    Table("bad_unique", md, Column("tenant_id", Integer, primary_key=True), Column("id", Integer, primary_key=True),
          Column("code", String, unique=True))
    Table("bad_fk", md, Column("tenant_id", Integer, primary_key=True), Column("id", Integer, primary_key=True),
          Column("good_id", Integer), ForeignKeyConstraint(["good_id", "tenant_id"], ["good.id", "good.code"]))
    Table("global_points_in", md, Column("id", Integer, primary_key=True), Column("good_tenant", Integer),
          Column("good_id", Integer),
          ForeignKeyConstraint(["good_tenant", "good_id"], ["good.tenant_id", "good.id"]))
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'bad.db'}")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(md.create_all)
            problems = await conn.run_sync(lambda c: citus_problems(c, {"tenants"}))
    finally:
        await engine.dispose()
    text_ = "\n".join(problems)
    assert "bad_pk: primary key" in text_
    assert "bad_unique: unique" in text_
    assert "bad_fk: foreign key" in text_
    assert "global_points_in (global)" in text_
    assert "good:" not in text_ and len(problems) == 4, problems


async def test_migrations_match_the_models(test_settings: Any) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from qudao.core.host_metadata import core_metadata
    from qudao.core.plugins.host import get_host

    metadata = core_metadata()
    plugin_prefixes = tuple(f"{name}_" for name in get_host().names)

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        table_name = name if type_ == "table" else getattr(table, "name", "")
        return not (table_name or "").startswith((*BOOKKEEPING, *plugin_prefixes))

    def diff(conn: Connection) -> list[Any]:
        ctx = MigrationContext.configure(conn, opts={"include_object": include_object, "compare_type": False,
                                                     "compare_server_default": False})
        return compare_metadata(ctx, metadata)

    differences = await on_db(test_settings, diff)
    assert not differences, "migrations and models differ (write a migration):\n  " + "\n  ".join(
        repr(d) for d in differences)


async def test_plugin_migrations_match_their_models(test_settings: Any) -> None:
    """Each built-in plugin's own migrations produce exactly its models, column types included
    (the models say their columns through shared kinds and mixins: core/db/columns.py)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from qudao.core.db.base import Base
    from qudao.core.plugins.host import get_host

    get_host()  # imports every installed plugin, so their models are in Base.metadata
    prefixes = tuple(f"{name}_" for name in get_host().names)
    plugin_tables = {t.name for t in Base.metadata.sorted_tables if t.name.startswith(prefixes)}
    assert {"credit_accounts", "payments_payments", "rebates_programs"} <= plugin_tables  # not vacuous

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return (name if type_ == "table" else getattr(table, "name", "")) in plugin_tables

    def diff(conn: Connection) -> list[Any]:
        ctx = MigrationContext.configure(conn, opts={"include_object": include_object, "compare_type": True,
                                                     "compare_server_default": False})
        return compare_metadata(ctx, Base.metadata)

    differences = await on_db(test_settings, diff)
    assert not differences, "plugin migrations and models differ (write a migration):\n  " + "\n  ".join(
        repr(d) for d in differences)


async def _seed(tenant: TenantAPI) -> None:
    tenant.ok("put", "/products/SCH-1", {"name": "Schema tea", "price": "3.00"})
    tenant.ok("put", "/warehouses/W", {"name": "W"})
    tenant.ok("put", "/warehouses/W/stock/SCH-1", {"on_hand": 9})
    buyer = tenant.buyer("SCH-C", warehouse="W")
    resp = buyer.post("/orders", json={"lines": [{"sku": "SCH-1", "qty": 1}]},
                      headers={"Idempotency-Key": uuid.uuid4().hex})
    assert resp.status_code == 201, resp.text


async def _tenant_id(settings: Any, slug: str) -> int:
    def q(conn: Connection) -> int:
        return conn.execute(text("SELECT id FROM tenants WHERE slug = :s"), {"s": slug}).scalar_one()

    return await on_db(settings, q)


async def test_without_a_tenant_the_database_shows_no_tenant_rows(test_settings: Any, tenant: TenantAPI) -> None:
    """PostgreSQL: RLS enabled and forced everywhere, and the app role with no tenant counts 0 rows
    of a raw ``SELECT count(*)``. SQLite has no RLS: the ORM guard is its equivalent (next test)."""
    await _seed(tenant)
    tid = await _tenant_id(test_settings, tenant.slug)
    if not test_settings.database_url.startswith("postgresql"):
        await _orm_guard(test_settings, tid)
        return
    role = test_settings.db_app_role
    assert role, "the PostgreSQL run must use a separate app role"

    def check(conn: Connection) -> dict[str, Any]:
        tables = tenant_owned(conn)
        flags = {r.relname: (r.relrowsecurity, r.relforcerowsecurity) for r in conn.execute(text(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"))}
        policies = {r.tablename for r in conn.execute(text("SELECT tablename FROM pg_policies"))}
        role_row = conn.execute(text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"),
                                {"r": role}).one()
        owners = {r.tablename for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = :r"), {"r": role})}
        as_owner, hidden, visible = {}, {}, {}
        for t in tables:
            as_owner[t] = conn.execute(count_sql(t)).scalar_one()
        conn.rollback()  # end the autobegun transaction; SET LOCAL needs its own
        trans = conn.begin()
        try:
            conn.exec_driver_sql(f'SET LOCAL ROLE "{role}"')
            for t in tables:
                hidden[t] = conn.execute(count_sql(t)).scalar_one()
            conn.exec_driver_sql(f"SELECT set_config('app.tenant_id', '{int(tid)}', true)")
            for t in tables:
                visible[t] = conn.execute(count_sql(t, " WHERE tenant_id = :t"),
                                          {"t": tid}).scalar_one()
        finally:
            trans.rollback()
        return {"tables": tables, "flags": flags, "policies": policies, "role": role_row, "owners": owners,
                "as_owner": as_owner, "hidden": hidden, "visible": visible}

    r = await on_db(test_settings, check)
    assert not r["role"].rolsuper and not r["role"].rolbypassrls
    assert not r["owners"], f"the app role owns {r['owners']}"
    not_forced = [t for t in r["tables"] if r["flags"].get(t) != (True, True)]
    assert not not_forced, f"RLS not enabled+forced on: {not_forced}"
    no_policy = [t for t in r["tables"] if t not in r["policies"]]
    assert not no_policy, f"no RLS policy on: {no_policy}"
    leaking = {t: n for t, n in r["hidden"].items() if n}
    assert not leaking, f"with no tenant set the app role sees rows in: {leaking}"
    # not vacuous: the rows exist, and the app role sees them once the tenant is set
    for t in ("products", "orders", "order_lines", "stock", "customers", "users"):
        assert r["as_owner"][t] > 0 and r["visible"][t] > 0, (t, r["as_owner"][t], r["visible"][t])


async def test_orm_guard_without_a_tenant_sees_nothing(test_settings: Any, tenant: TenantAPI) -> None:
    await _seed(tenant)
    await _orm_guard(test_settings, await _tenant_id(test_settings, tenant.slug))


async def _orm_guard(settings: Any, tid: int) -> None:
    from sqlalchemy import func, select

    import qudao.core.models  # noqa: F401 - registers every core model
    from qudao.core.db.base import Base, TenantOwned
    from qudao.core.db.session import Database

    models = sorted({m.class_ for m in Base.registry.mappers if issubclass(m.class_, TenantOwned)},
                    key=lambda c: c.__tablename__)
    assert len(models) >= 10
    db = Database(settings.database_url, settings.db_app_role)
    try:
        unbound, bound = {}, {}
        async with db.session(None) as session:
            for model in models:
                unbound[model.__tablename__] = len((await session.scalars(select(model).limit(5))).all())
                unbound[model.__tablename__] += await session.scalar(
                    select(func.count()).select_from(model)) or 0
        async with db.session(tid) as session:
            for model in models:
                bound[model.__tablename__] = len((await session.scalars(select(model).limit(5))).all())
    finally:
        await db.dispose()
    seen = {t: n for t, n in unbound.items() if n}
    assert not seen, f"a session with no tenant bound saw rows of: {seen}"
    for t in ("products", "orders", "order_lines", "stock", "customers", "users"):
        assert bound[t] > 0, (t, bound)
