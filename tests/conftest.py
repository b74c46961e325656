"""Test fixtures: a migrated database (SQLite, or PostgreSQL when
``QUDAO_TEST_DATABASE_URL`` is set), the app, and helpers to drive the API.

Installed third-party plugins never leak in: the host loads only our built-ins.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from qudao.core.plugins.host import PluginHost
from qudao.testing import PASSWORD, TenantAPI, csrf_of, signup, unique_slug, web_login  # noqa: F401 - re-exported

# Our own plugins: those whose entry point lives in the qudao.plugins package (no list to keep in sync).
BUILTIN_PLUGINS = {ep.name for ep in entry_points(group="qudao.plugins") if ep.value.startswith("qudao.plugins.")}
# Third-party plugins a run opts into by name (CI's example-plugin step); never picked up by default.
EXTRA_PLUGINS = set(filter(None, os.environ.get("QUDAO_TEST_EXTRA_PLUGINS", "").split(",")))


def builtin_host() -> PluginHost:
    host = PluginHost()
    only = set(os.environ["QUDAO_TEST_PLUGINS"].split(",")) if os.environ.get("QUDAO_TEST_PLUGINS") else None
    host.load_entry_points(only=((only or BUILTIN_PLUGINS) & BUILTIN_PLUGINS) | EXTRA_PLUGINS, strict=True)
    return host


def pytest_configure(config: pytest.Config) -> None:
    """The fixtures come from the test kit (``qudao.testing``), which pytest loads through its
    ``pytest11`` entry point; load it here only when plugin autoloading is off, never twice."""
    config.addinivalue_line("markers", "needs_plugin(name): runs only when QUDAO_TEST_EXTRA_PLUGINS has it")
    pm = config.pluginmanager
    if not (pm.has_plugin("qudao") or pm.has_plugin("qudao.testing.plugin")):
        pm.import_plugin("qudao.testing.plugin")


@pytest.fixture(scope="session")
def qudao_host() -> PluginHost:
    """Overrides the kit's: only our built-ins (plus named extras), so installed plugins never leak in."""
    return builtin_host()


@pytest.fixture(scope="session")
def test_settings(qudao_settings: Any) -> Any:
    return qudao_settings


@pytest.fixture(scope="session")
def app(qudao_app: Any) -> Any:
    return qudao_app


@pytest.fixture(scope="session")
def client(qudao_client: Any) -> TestClient[Any]:
    return qudao_client


@pytest.fixture
def tenant(client: TestClient[Any]) -> TenantAPI:
    return signup(client)


@pytest.fixture
def other_tenant(client: TestClient[Any]) -> TenantAPI:
    return signup(client)


@pytest.fixture(scope="session")
def on_postgres() -> bool:
    return bool(os.environ.get("QUDAO_TEST_DATABASE_URL", "").startswith("postgresql"))


def tmpdir() -> Path:
    return Path(tempfile.mkdtemp())


# --- in CI a skipped test fails the run -------------------------------------------
_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("QUDAO_NO_SKIPS") and _skipped:
        print(f"\nQUDAO_NO_SKIPS is set and {len(_skipped)} test(s) were skipped:")
        for nodeid in _skipped:
            print(f"  {nodeid}")
        session.exitstatus = 1


# --- page tests: each gets its own cookie jar (and its own app/engine) -------------------


@pytest.fixture
def web(qudao_web: Any) -> TestClient[Any]:
    """A separate TestClient for HTML pages, with its own cookies and app instance (the kit's
    ``qudao_web``). Use it instead of ``client`` for anything that signs in with a session cookie."""
    return qudao_web


# --- a live server on 127.0.0.1 (browser tests, concurrency tests) ---------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(client: Any, test_settings: Any) -> Iterator[str]:
    """The app served by uvicorn in a thread (its own engine; the job broker is shared)."""
    import uvicorn

    from qudao.core.plugins.host import get_host
    from qudao.web.app import create_app

    app = create_app(test_settings, get_host(), manage_broker=False)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)




def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in the main thread.

    Tests marked ``needs_plugin(name)`` are deselected unless the run opted into that plugin.
    """
    wanted = [i for i in items if all(m.args[0] in EXTRA_PLUGINS for m in i.iter_markers("needs_plugin"))]
    if len(wanted) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in wanted])
        items[:] = wanted
    browser_fixtures = {"browser", "page", "phone"}

    def uses_browser(item: pytest.Item) -> bool:
        return "/browser/" in str(item.fspath) or bool(browser_fixtures & set(getattr(item, "fixturenames", ())))

    items.sort(key=uses_browser)


# --- Chromium (Debian's package) driven by Playwright; one per test session ------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]


@pytest.fixture(scope="session")
def browser(live_server: str) -> Iterator[Any]:
    if not shutil.which("chromium") and not __import__("os").path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A desktop-sized page with a fresh cookie jar."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A phone-sized page (iPhone 12-like viewport, touch) with a fresh cookie jar."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
