"""Shared Alembic ``env.py`` body for core and every plugin's own environment.

A plugin's ``migrations/env.py`` is two lines::

    from qudao.core.db.alembic_env import run_migrations
    run_migrations(target_metadata=Base.metadata, include_prefix="promotions_")

It keeps its own version table (``plugin_<name>_alembic_version``) and only
compares tables with its prefix, so core and plugins never fight over tables.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from qudao.core.asyncutil import run_sync


def run_migrations(target_metadata: MetaData, include_prefix: str | None = None,
                   exclude_prefixes: tuple[str, ...] = ()) -> None:
    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    version_table = config.get_main_option("version_table") or "alembic_version"

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ != "table" or name is None:
            return True
        if include_prefix is not None:
            return name.startswith(include_prefix)
        return not any(name.startswith(p) for p in exclude_prefixes) and not name.startswith("plugin_")

    def do_run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table=version_table,
            include_object=include_object,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=False,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(url)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
            await connection.commit()
        await engine.dispose()

    existing = config.attributes.get("connection")
    if existing is not None:
        do_run(existing)
    else:
        run_sync(main())
