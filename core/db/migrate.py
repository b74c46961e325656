"""``qudao db upgrade``: core's Alembic environment, then each plugin's, then RLS."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine

from qudao.core.asyncutil import run_sync
from qudao.core.db.rls import apply_rls
from qudao.core.plugins.host import PluginHost, get_host

CORE_MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str, script_location: Path, version_table: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("version_table", version_table)
    return cfg


def environments(host: PluginHost) -> list[tuple[str, Path, str]]:
    envs = [("core", CORE_MIGRATIONS, "alembic_version")]
    for name in host.names:
        directory = host.metas[name].migrations_dir
        if directory is not None:
            envs.append((name, directory, f"plugin_{name}_alembic_version"))
    return envs


def upgrade_all(url: str, app_role: str | None = None, host: PluginHost | None = None) -> list[str]:
    """Upgrade core then every installed plugin to head; returns what was upgraded."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    host = host or get_host()
    done = []
    for name, location, table in environments(host):
        command.upgrade(alembic_config(url, location, table), "head")
        done.append(name)
    run_sync(_rls(url, app_role))
    return done


async def _rls(url: str, app_role: str | None) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(apply_rls, app_role)
    await engine.dispose()
