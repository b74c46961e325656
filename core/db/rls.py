"""PostgreSQL row-level security for every tenant-owned table, plus the app role.

Run by ``qudao db upgrade`` as the table owner after all migrations; idempotent.
The app role owns nothing and has no BYPASSRLS, and policies read
``current_setting('app.tenant_id', true)``, so a transaction with no tenant set
sees no tenant rows at all.
"""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

POLICY = "tenant_isolation"
# Global tables that merely point at a tenant (page sessions also serve platform operators).
GLOBAL_TABLES = {"tenants", "web_sessions"}


def tenant_tables(conn: Connection) -> list[str]:
    insp = inspect(conn)
    return sorted(
        name for name in insp.get_table_names()
        if name not in GLOBAL_TABLES and any(c["name"] == "tenant_id" for c in insp.get_columns(name))
    )


def apply_rls(conn: Connection, app_role: str | None) -> list[str]:
    if conn.dialect.name != "postgresql":
        return []
    if app_role:
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": app_role}).scalar()
        if not exists:
            conn.exec_driver_sql(f'CREATE ROLE "{app_role}" NOLOGIN NOSUPERUSER NOBYPASSRLS')
        current_user = conn.execute(text("SELECT current_user")).scalar()
        conn.exec_driver_sql(f'GRANT "{app_role}" TO "{current_user}"')
        conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA public TO "{app_role}"')
        conn.exec_driver_sql(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{app_role}"')
        conn.exec_driver_sql(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{app_role}"')
    tables = tenant_tables(conn)
    for table in tables:
        conn.exec_driver_sql(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        conn.exec_driver_sql(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
        conn.exec_driver_sql(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"')
        conn.exec_driver_sql(
            f'CREATE POLICY {POLICY} ON "{table}" '
            "USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint) "
            "WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint)"
        )
    return tables
