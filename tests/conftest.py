"""Test fixtures: a migrated database (SQLite, or PostgreSQL when
``QUDAO_TEST_DATABASE_URL`` is set), the app, and helpers to drive the API.

Installed third-party plugins never leak in: the host loads only our built-ins.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from qudao.core.config import load_settings, reset_settings
from qudao.core.db.migrate import upgrade_all
from qudao.core.plugins.host import PluginHost, set_host

BUILTIN_PLUGINS = {"promotions", "credit", "guest_checkout", "brand_isolation", "wechat", "payments", "rebates",
                   "sales_targets", "channel_tasks", "replenishment"}
PASSWORD = "correct-horse-battery"
_counter = itertools.count()


def builtin_host() -> PluginHost:
    host = PluginHost()
    only = set(os.environ["QUDAO_TEST_PLUGINS"].split(",")) if os.environ.get("QUDAO_TEST_PLUGINS") else None
    host.load_entry_points(only=(only or BUILTIN_PLUGINS) & BUILTIN_PLUGINS, strict=True)
    return host


@pytest.fixture(scope="session")
def test_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    var = tmp_path_factory.mktemp("var")
    os.environ["QUDAO_VAR_DIR"] = str(var)
    url = os.environ.get("QUDAO_TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{var / 'test.db'}"
    settings = replace(load_settings(), database_url=url, redis_url=os.environ.get("QUDAO_TEST_REDIS_URL"),
                       var_dir=Path(var), secret_key="test-secret-key-" + "x" * 32)
    reset_settings(settings)
    host = builtin_host()
    set_host(host)
    upgrade_all(url, settings.db_app_role, host)
    yield settings
    reset_settings(None)


@pytest.fixture(scope="session")
def app(test_settings: Any) -> Any:
    from qudao.core.plugins.host import get_host
    from qudao.web.app import create_app

    return create_app(test_settings, get_host())


@pytest.fixture(scope="session")
def client(app: Any) -> Iterator[TestClient[Any]]:
    with TestClient(app, raise_server_exceptions=False) as c:
        if os.environ.get("QUDAO_TEST_REDIS_URL"):
            # jobs go to Redis: run a worker in this process so tests see them done
            from qudao.workers.broker import start_local_worker

            start_local_worker()
        yield c


def unique_slug(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class TenantAPI:
    """Drives one tenant through the API as a given token."""

    def __init__(self, client: TestClient[Any], slug: str, token: str) -> None:
        self.client, self.slug, self.token = client, slug, token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def url(self, path: str) -> str:
        return f"/t/{self.slug}/api/v1{path}"

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(self.url(path), headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.put(self.url(path), json=json, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(self.url(path), json=json, headers={**self.headers, **kw.pop("headers", {})},
                                **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.patch(self.url(path), json=json, headers={**self.headers, **kw.pop("headers", {})},
                                 **kw)

    def ok(self, method: str, path: str, json: Any = None, status: int | tuple[int, ...] = (200, 201)) -> Any:
        resp = getattr(self, method)(path, json=json) if method != "get" else self.get(path)
        allowed = (status,) if isinstance(status, int) else status
        assert resp.status_code in allowed, f"{method.upper()} {path} -> {resp.status_code}: {resp.text}"
        return resp.json()

    def as_user(self, email: str, password: str = PASSWORD) -> TenantAPI:
        resp = self.client.post(self.url("/auth/token"), json={"email": email, "password": password})
        assert resp.status_code == 200, resp.text
        return TenantAPI(self.client, self.slug, resp.json()["token"])

    def buyer(self, customer: str, email: str | None = None, **customer_fields: Any) -> TenantAPI:
        """Create (or update) a customer and a buyer login for it; return the buyer's API."""
        self.ok("put", f"/customers/{customer}", {"name": customer_fields.pop("name", customer), **customer_fields})
        email = email or f"{customer.lower()}-{next(_counter)}@buyer.test"
        self.ok("put", f"/customers/{customer}/users/{email}", {"password": PASSWORD})
        return self.as_user(email)


def signup(client: TestClient[Any], slug: str | None = None) -> TenantAPI:
    slug = slug or unique_slug()
    resp = client.post("/api/v1/signup", json={"name": f"Brand {slug}", "slug": slug,
                                               "admin_email": f"owner@{slug}.test", "admin_password": PASSWORD})
    assert resp.status_code == 201, resp.text
    return TenantAPI(client, slug, resp.json()["token"])


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
    _stop_job_threads()
    if os.environ.get("QUDAO_NO_SKIPS") and _skipped:
        print(f"\nQUDAO_NO_SKIPS is set and {len(_skipped)} test(s) were skipped:")
        for nodeid in _skipped:
            print(f"  {nodeid}")
        session.exitstatus = 1


# --- page tests: each gets its own cookie jar (and its own app/engine) -------------------


@pytest.fixture
def web(test_settings: Any, client: Any) -> Iterator[TestClient[Any]]:
    """A separate TestClient for HTML pages, with its own cookies and app instance.

    Use it instead of ``client`` for anything that signs in with a session cookie; a second
    TestClient on the shared ``app`` would run another event loop on the same DB pool.
    """
    from qudao.core.plugins.host import get_host
    from qudao.web.app import create_app

    own = create_app(test_settings, get_host(), manage_broker=False)
    with TestClient(own, raise_server_exceptions=False) as c:
        yield c


def csrf_of(c: TestClient[Any]) -> str:
    return c.cookies.get("qd_csrf") or ""


def web_login(c: TestClient[Any], slug: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form (CSRF cookie first), as a browser would."""
    c.get(f"/t/{slug}/login")
    resp = c.post(f"/t/{slug}/login", data={"email": email, "password": password, "_csrf_token": csrf_of(c)},
                  follow_redirects=False)
    assert resp.status_code in (302, 303), resp.text[:500]


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
    """Browser tests last: Playwright's sync API keeps an event loop running in the main thread."""
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


def _stop_job_threads() -> None:
    """Never let a job thread keep the test process alive after the last test."""
    from qudao.workers.broker import shutdown_broker

    shutdown_broker()
    try:
        from dramatiq.asyncio import get_event_loop_thread, set_event_loop_thread

        loop_thread = get_event_loop_thread()
    except Exception:  # noqa: BLE001 - nothing to stop
        return
    if loop_thread is not None:
        loop_thread.stop()
        loop_thread.join(timeout=10)
        set_event_loop_thread(None)
