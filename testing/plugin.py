"""The pytest plugin (entry point ``pytest11`` named ``qudao``): fixtures for testing Qudao plugins.

Every fixture is prefixed ``qudao_`` so the kit never shadows another plugin's ``app`` or
``client``. Override ``qudao_host`` in a ``conftest.py`` to choose the plugins (Qudao's own suite
loads only its built-ins, so installed third-party plugins never leak into it). Nothing is
imported from the app until a fixture is used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def qudao_host() -> Any:
    """Every installed plugin (``QUDAO_TEST_PLUGINS=a,b`` narrows them); one that cannot load fails."""
    from qudao.testing.plugins import make_host

    return make_host()


@pytest.fixture(scope="session")
def qudao_settings(tmp_path_factory: pytest.TempPathFactory, qudao_host: Any) -> Iterator[Any]:
    """Settings on a temporary var dir and SQLite file (or ``QUDAO_TEST_DATABASE_URL``, which
    should be a fresh database), migrated: core, then every plugin of ``qudao_host``, then RLS."""
    from qudao.core.config import load_settings, reset_settings
    from qudao.core.db.migrate import upgrade_all
    from qudao.core.plugins.host import set_host

    var = tmp_path_factory.mktemp("var")
    os.environ["QUDAO_VAR_DIR"] = str(var)
    url = os.environ.get("QUDAO_TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{var / 'test.db'}"
    settings = replace(load_settings(), database_url=url, redis_url=os.environ.get("QUDAO_TEST_REDIS_URL"),
                       var_dir=Path(var), secret_key="test-secret-key-" + "x" * 32,
                       # tests run the relay themselves (outbox.relay_once); a background pass every few
                       # seconds would land its statements inside the statement-count tests' windows
                       outbox_relay_seconds=3600.0)
    reset_settings(settings)
    set_host(qudao_host)
    upgrade_all(url, settings.db_app_role, qudao_host)
    yield settings
    reset_settings(None)


@pytest.fixture(scope="session")
def qudao_app(qudao_settings: Any, qudao_host: Any) -> Any:
    from qudao.web.app import create_app

    return create_app(qudao_settings, qudao_host)


@pytest.fixture(scope="session")
def qudao_client(qudao_app: Any) -> Iterator[Any]:
    """A TestClient on the app (errors answer as they would in production, never raised)."""
    from litestar.testing import TestClient

    with TestClient(qudao_app, raise_server_exceptions=False) as c:
        if os.environ.get("QUDAO_TEST_REDIS_URL"):
            # jobs go to Redis: run a worker in this process so tests see them done
            from qudao.workers.broker import start_local_worker

            start_local_worker()
        yield c


@pytest.fixture
def qudao_tenant(qudao_client: Any) -> Any:
    """A new brand; its owner's API (``owner@{slug}.test``)."""
    from qudao.testing.api import signup

    return signup(qudao_client)


@pytest.fixture
def qudao_other_tenant(qudao_client: Any) -> Any:
    from qudao.testing.api import signup

    return signup(qudao_client)


@pytest.fixture
def qudao_shop(qudao_client: Any) -> Any:
    """A brand with a product in stock, a customer ``C1`` and its buyer login (:class:`Shop`)."""
    from qudao.testing.shop import make_shop

    return make_shop(qudao_client)


@pytest.fixture
def qudao_web(qudao_settings: Any, qudao_client: Any, qudao_host: Any) -> Iterator[Any]:
    """A separate TestClient for HTML pages, with its own cookies and app instance.

    Use it for anything that signs in with a session cookie (``web_login``); a second
    TestClient on the shared app would run another event loop on the same DB pool.
    """
    from litestar.testing import TestClient

    from qudao.web.app import create_app

    own = create_app(qudao_settings, qudao_host, manage_broker=False)
    with TestClient(own, raise_server_exceptions=False) as c:
        yield c


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Never let a job thread keep the test process alive after the last test."""
    import sys

    if "qudao.workers.broker" not in sys.modules:
        return
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
