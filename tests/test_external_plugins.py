"""Plugins from outside the tree (issue 17): the scaffold, and installed third-party packages.

The tests marked ``needs_plugin`` run only where that package is installed and the run opts in
(``QUDAO_TEST_EXTRA_PLUGINS``): CI's fresh-venv step installs a scaffolded ``hello`` and
``examples/loyalty_points`` and runs this file. Elsewhere they are deselected, never skipped.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from qudao.core.plugins.hookspecs import API_VERSION
from qudao.testing.served import free_port, wait_healthy
from qudao.web.scaffold import ScaffoldError, api_range, new_plugin
from tests.conftest import PASSWORD, TenantAPI, signup, web_login

QUDAO = str(Path(sys.executable).with_name("qudao"))


def test_scaffold_writes_a_ready_package(tmp_path: Path) -> None:
    from qudao.web.cli import main

    target = tmp_path / "probe_x"
    out = CliRunner().invoke(main, ["plugin", "new", "probe_x", "--dir", str(target)])
    assert out.exit_code == 0, out.output
    files = {str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()}
    assert {"pyproject.toml", "README.md", "qudao_probe_x/__init__.py", "qudao_probe_x/models.py",
            "qudao_probe_x/migrations/env.py", "qudao_probe_x/migrations/versions/0001_probe_x_tables.py",
            "qudao_probe_x/templates/probe_x/notes.html", "qudao_probe_x/locales/zh_CN/LC_MESSAGES/messages.po",
            "qudao_probe_x/locales/en/LC_MESSAGES/messages.po", "tests/test_probe_x.py"} <= files
    assert not [f for f in files if "@@" in f or f.endswith(".tmpl")]
    for path in target.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert "@@" not in text, path
            if path.suffix == ".py":
                compile(text, str(path), "exec")
    meta = tomllib.loads((target / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["entry-points"]["qudao.plugins"] == {"probe_x": "qudao_probe_x:plugin"}
    assert meta["tool"]["qudao"]["plugin-api"] == api_range() == f">={API_VERSION},<{int(API_VERSION[0]) + 1}"
    assert 'include_prefix="probe_x_"' in (target / "qudao_probe_x/migrations/env.py").read_text(encoding="utf-8")
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", str(target)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_scaffold_refuses_bad_names_and_busy_folders(tmp_path: Path) -> None:
    for bad in ("Hello", "9lives", "a", "has-dash", "x__y", "trailing_"):
        with pytest.raises(ScaffoldError, match="plugin name"):
            new_plugin(bad, tmp_path / bad)
    with pytest.raises(ScaffoldError, match="already installed"):
        new_plugin("credit", tmp_path / "credit", taken={"credit"})
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x")
    with pytest.raises(ScaffoldError, match="not empty"):
        new_plugin("busy", tmp_path / "busy")
    from qudao.web.cli import main

    out = CliRunner().invoke(main, ["plugin", "new", "credit", "--dir", str(tmp_path / "c")])
    assert out.exit_code != 0 and "already installed" in out.output
    assert not (tmp_path / "c").exists()


# --- installed third-party packages (CI's fresh-venv step) -------------------------------------


def _staff_page(base: str, slug: str, path: str) -> int:
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as c:
        c.get(f"/t/{slug}/login")
        resp = c.post(f"/t/{slug}/login", data={"email": f"owner@{slug}.test", "password": PASSWORD,
                                                "_csrf_token": c.cookies.get("qd_csrf") or ""})
        assert resp.status_code in (302, 303), resp.text[:300]
        return c.get(f"/t/{slug}{path}").status_code


@pytest.mark.needs_plugin("hello")
def test_installed_scaffold_is_seen_by_a_process_started_after_the_install(tmp_path: Path) -> None:
    """``pip install -e`` (done before this run) → ``qudao plugins`` lists it → ``qudao db upgrade``
    migrates it → a ``qudao serve`` started now serves it to the one brand that switched it on."""
    env = {**os.environ, "QUDAO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'q.db'}",
           "QUDAO_VAR_DIR": str(tmp_path), "QUDAO_SECRET_KEY": "k" * 40}
    env.pop("QUDAO_REDIS_URL", None)
    listed = subprocess.run([QUDAO, "plugins"], env=env, capture_output=True, text=True, timeout=120)
    assert re.search(r"^\s+hello\s+0\.1\.0\s+api >=", listed.stdout, re.M), listed.stdout + listed.stderr
    upgraded = subprocess.run([QUDAO, "db", "upgrade"], env=env, capture_output=True, text=True, timeout=300)
    assert upgraded.returncode == 0 and "hello" in upgraded.stdout.split("upgraded:", 1)[1], upgraded.stderr
    port = free_port()
    server = subprocess.Popen([QUDAO, "serve", "--no-demo", "--no-migrate", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        why = wait_healthy(base, server, 90, interval=0.3)
        assert why is None, f"qudao serve did not start: {why}"
        api = httpx.Client(base_url=base, timeout=30)
        tenants = []
        for slug in ("hello-on", "hello-off"):
            resp = api.post("/api/v1/signup", json={"name": slug, "slug": slug, "admin_email": f"owner@{slug}.test",
                                                    "admin_password": PASSWORD})
            assert resp.status_code == 201, resp.text
            tenants.append(TenantAPI(api, slug, resp.json()["token"]))
        on, off = tenants
        assert "hello" in {p["name"] for p in on.ok("get", "/plugins")}
        assert _staff_page(base, on.slug, "/admin/hello") == 404  # off until the admin switches it on
        on.enable("hello")
        assert _staff_page(base, on.slug, "/admin/hello") == 200  # same process, no restart
        assert _staff_page(base, off.slug, "/admin/hello") == 404
    finally:
        server.terminate()
        server.wait(timeout=30)


def _points_on_home(web: Any, slug: str, email: str) -> int | None:
    web.cookies.clear()
    web_login(web, slug, email)
    page = web.get(f"/t/{slug}/")
    assert page.status_code == 200
    found = re.search(r'data-points="(\d+)"', page.text)
    return int(found.group(1)) if found else None


def _shop(client: Any) -> tuple[TenantAPI, TenantAPI, str]:
    staff = signup(client)
    staff.ok("put", "/warehouses/W1", {"name": "Main"})
    staff.ok("put", "/products/LP-1", {"name": "Oolong", "price": "50.00"})
    staff.ok("put", "/warehouses/W1/stock/LP-1", {"on_hand": 100})
    email = f"buyer@{staff.slug}.test"
    return staff, staff.buyer("C1", email=email), email


@pytest.mark.needs_plugin("loyalty_points")
def test_loyalty_points_on_for_one_tenant_and_not_another(client: Any, web: Any, test_settings: Any,
                                                          on_postgres: bool) -> None:
    on_staff, on_buyer, on_email = _shop(client)
    off_staff, off_buyer, off_email = _shop(client)
    on_staff.enable("loyalty_points", yuan_per_point=5)
    on_buyer.place_order({"LP-1": 3})  # 150.00 -> 30 points
    off_buyer.place_order({"LP-1": 3})
    assert _points_on_home(web, on_staff.slug, on_email) == 30
    assert _points_on_home(web, off_staff.slug, off_email) is None
    if on_postgres:
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        from qudao.core.asyncutil import run_sync

        async def rls() -> tuple[bool, bool]:
            engine = create_async_engine(test_settings.database_url)
            async with engine.connect() as conn:
                row = (await conn.execute(text("SELECT relrowsecurity, relforcerowsecurity FROM pg_class "
                                               "WHERE relname = 'loyalty_points_entries'"))).one()
            await engine.dispose()
            return bool(row[0]), bool(row[1])

        assert run_sync(rls()) == (True, True)
