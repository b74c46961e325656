"""The ``qudao`` command: serve, worker, db upgrade, demo, plugins, tenants."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import click

from qudao.core.config import get_settings


@click.group()
def main() -> None:
    """Qudao 渠道: multi-tenant B2B ordering and channel management."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-migrate", is_flag=True, help="Do not apply migrations at start.")
@click.option("--demo/--no-demo", default=True, show_default=True,
              help="On the embedded default, create the demo brand if no brand exists yet.")
@click.option("--workers", type=int, default=None, envvar="QUDAO_WEB_WORKERS",
              help="Web processes [default: the CPUs this process may use on PostgreSQL, 1 on SQLite].")
def serve(host: str, port: int, no_migrate: bool, demo: bool, workers: int | None) -> None:
    """Serve the web app, API and (without Redis) the in-process worker."""
    import uvicorn

    settings = get_settings()
    report_refused()
    if not no_migrate:
        from qudao.core.db.migrate import upgrade_all

        upgrade_all(settings.database_url, settings.db_app_role)
    if demo and settings.is_sqlite:
        from qudao.web.demo import ensure_demo

        logins = asyncio.run(ensure_demo(settings, only_if_empty=True))
        if logins:
            _print_logins(logins, host, port)
    workers = default_workers(settings.is_sqlite) if workers is None else max(1, workers)
    if workers > 1:  # each process builds its own app (and engine) from the environment
        uvicorn.run("qudao.web.app:create_app", factory=True, workers=workers, host=host, port=port,
                    **_uvicorn_logging(settings.log_level), proxy_headers=False)
        return
    from qudao.web.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, **_uvicorn_logging(settings.log_level),
                proxy_headers=False)  # trusted proxies are handled in-app (web/security.py)


def _uvicorn_logging(level: str) -> dict[str, Any]:
    """uvicorn logs through configure_logging's handler at QUDAO_LOG_LEVEL, without its access line:
    RequestLogMiddleware writes each request once, with its request id and tenant."""
    return {"log_config": None, "log_level": level.lower(), "access_log": False}


def default_workers(sqlite: bool) -> int:
    """One process per CPU this process may run on (one event loop each); SQLite has one writer."""
    if sqlite:
        return 1
    import os

    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


@main.command()
@click.option("--processes", default=1, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
def worker(processes: int, threads: int) -> None:
    """Run background job workers (needs QUDAO_REDIS_URL)."""
    from qudao.workers.cli import run_worker

    sys.exit(run_worker(processes, threads))


@main.command()
@click.argument("actor")
def enqueue(actor: str) -> None:
    """Send a plugin job (e.g. rebates.close_due) once for every tenant: run it from cron or a CronJob."""
    from qudao.core.plugins.host import get_host
    from qudao.workers.schedule import enqueue_for_every_tenant

    try:
        n = asyncio.run(enqueue_for_every_tenant(actor, get_host(), get_settings()))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"{actor} enqueued for {n} tenants")


@main.group()
def db() -> None:
    """Database commands."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate core, then every installed plugin, then apply row-level security."""
    from qudao.core.db.migrate import upgrade_all

    settings = get_settings()
    report_refused()
    done = upgrade_all(settings.database_url, settings.db_app_role)
    click.echo(f"upgraded: {', '.join(done)}")


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000, type=int)
def demo(host: str, port: int) -> None:
    """Create the demo brand (catalog, customers, stock, orders) and print its logins."""
    from qudao.core.db.migrate import upgrade_all
    from qudao.web.demo import ensure_demo

    settings = get_settings()
    upgrade_all(settings.database_url, settings.db_app_role)
    logins = asyncio.run(ensure_demo(settings, only_if_empty=False))
    _print_logins(logins, host, port)


def _print_logins(logins: dict[str, str], host: str, port: int) -> None:
    click.echo("")
    click.echo("Demo brand ready:")
    for label, value in logins.items():
        click.echo(f"  {label:<18} {value.replace('{base}', f'http://{host}:{port}')}")
    click.echo("")


@main.command()
def plugins() -> None:
    """List installed plugins and the plugin API versions they support."""
    from qudao.core.plugins.hookspecs import API_VERSION
    from qudao.core.plugins.host import get_host

    host = get_host()
    click.echo(f"plugin API {API_VERSION}")
    for name in host.names:
        m = host.metas[name]
        click.echo(f"  {name:<18} {m.version:<8} api {m.api:<12} {m.title}")
    for line in host.refused.values():
        click.echo(f"  refused: {line}")


@main.group()
def plugin() -> None:
    """Write plugins."""


@plugin.command("new")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Where to write the package (default: ./NAME). Must be absent or empty.")
@click.option("--title", help="The plugin's title (default: from NAME).")
def plugin_new(name: str, directory: Path | None, title: str | None) -> None:
    """Write a ready plugin package: pyproject, hooks, settings, migrations, template, catalogs, test."""
    from qudao.core.plugins.host import get_host
    from qudao.web.scaffold import ScaffoldError, new_plugin

    target = directory or Path(name)
    try:
        files = new_plugin(name, target, title, taken=set(get_host().metas) | set(get_host().refused))
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {len(files)} files to {target}/")
    click.echo(f"next: pip install -e {target} && qudao plugins && qudao db upgrade && pytest {target}")


def report_refused() -> None:
    """One line on stderr per installed plugin that was not loaded (the others run)."""
    from qudao.core.plugins.host import get_host

    for line in get_host().refused.values():
        click.echo(f"qudao: refused {line}", err=True)


@main.group()
def tenants() -> None:
    """List or create tenants (brands)."""


@tenants.command("list")
def tenants_list() -> None:
    from qudao.web.demo import list_tenants

    for slug, name, created in asyncio.run(list_tenants(get_settings())):
        click.echo(f"{slug:<30} {created:%Y-%m-%d}  {name}")


@tenants.command("create")
@click.option("--slug", required=True)
@click.option("--name", required=True)
@click.option("--admin-email", required=True)
@click.option("--admin-password", required=True, prompt=True, hide_input=True)
def tenants_create(slug: str, name: str, admin_email: str, admin_password: str) -> None:
    from qudao.tenants.provisioning import SignupError
    from qudao.web.demo import create_tenant_cli

    try:
        asyncio.run(create_tenant_cli(get_settings(), slug, name, admin_email, admin_password))
    except SignupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created tenant {slug}")


@main.command("create-operator")
@click.option("--email", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True)
def create_operator(email: str, password: str) -> None:
    """Create a platform operator login for /platform."""
    from qudao.web.demo import create_operator as make

    asyncio.run(make(get_settings(), email, password))
    click.echo(f"operator {email} can sign in at /platform/login")


if __name__ == "__main__":
    main()
