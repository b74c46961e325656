"""PostgreSQL restarted under load: while it is down, requests fail cleanly (503 problem+json
with Retry-After, never a 500 or a hang) and once it is back the same web process serves
again (the pool drops dead connections and reconnects). Runs on a private PostgreSQL
cluster the test creates, never the shared one."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from qudao.core.db.migrate import upgrade_all
from qudao.core.plugins.host import get_host
from tests.conftest import PASSWORD
from tests.fault_support import PrivatePostgres, free_port, wait_until


def test_postgres_restart_under_load(tmp_path: Path, test_settings: Any, client: Any) -> None:
    from qudao.web.app import create_app

    pg = PrivatePostgres(tmp_path).init()
    pg.start()
    server = None
    thread = None
    try:
        upgrade_all(pg.url, test_settings.db_app_role, get_host())
        app = create_app(replace(test_settings, database_url=pg.url), get_host(), manage_broker=False)
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: server.started, 30, "the web server")

        slug = f"pg-{uuid.uuid4().hex[:6]}"
        signed = httpx.post(f"{base}/api/v1/signup", json={"name": "Restart", "slug": slug,
                                                           "admin_email": f"o@{slug}.test", "admin_password": PASSWORD})
        assert signed.status_code == 201, signed.text
        auth = {"Authorization": f"Bearer {signed.json()['token']}"}
        api = f"{base}/t/{slug}/api/v1"
        assert httpx.put(f"{api}/products/R-1", json={"name": "Tea", "price": "9.90"}, headers=auth).status_code == 201

        results: list[tuple[float, int, str]] = []
        stop = threading.Event()

        def load(n: int) -> None:
            with httpx.Client(timeout=20) as c:
                i = 0
                while not stop.is_set():
                    i += 1
                    try:
                        if i % 3 == 0:
                            r = c.put(f"{api}/products/R-{n}-{i % 5}", json={"name": "Tea", "price": "9.90"},
                                      headers=auth)
                        else:
                            r = c.get(f"{api}/products?limit=5", headers=auth)
                        results.append((time.monotonic(), r.status_code, r.headers.get("content-type", "")))
                    except httpx.HTTPError as exc:  # a hang or a dropped connection is a failure too
                        results.append((time.monotonic(), -1, repr(exc)))
                    time.sleep(0.02)

        workers = [threading.Thread(target=load, args=(n,), daemon=True) for n in range(4)]
        for w in workers:
            w.start()
        time.sleep(1.5)
        down_at = time.monotonic()
        pg.stop("fast")
        time.sleep(2.0)
        pg.start()
        up_at = time.monotonic()
        time.sleep(3.0)
        stop.set()
        for w in workers:
            w.join(timeout=30)

        codes = Counter(code for _, code, _ in results)
        assert set(codes) <= {200, 201, 503}, codes  # no 500, no dropped connection
        outage = [(code, ctype) for at, code, ctype in results if down_at < at < up_at]
        assert any(code == 503 for code, _ in outage), codes
        assert all(ctype.startswith("application/problem+json") for code, ctype in outage if code == 503)
        # recovered without restarting the web process: the last second is all good
        assert all(code in (200, 201) for at, code, _ in results if at > up_at + 2.0), codes
        health = httpx.get(f"{base}/healthz")
        assert health.status_code == 200
    finally:
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=20)
        pg.remove()


@pytest.fixture
def private_pg(tmp_path: Path) -> Iterator[PrivatePostgres]:
    """A started private PostgreSQL cluster of this test's own, removed after it."""
    pg = PrivatePostgres(tmp_path).init()
    pg.start()
    try:
        yield pg
    finally:
        pg.remove()


def test_a_connection_that_died_idle_is_replaced_at_checkout(private_pg: PrivatePostgres, monkeypatch: Any) -> None:
    """The pool pings a connection only after it sat idle (core/db/session.py ping_when_idle):
    one that died while idle is replaced without the request seeing it; one handed out fresh
    from use is not pinged, and if it died the error invalidates the pool for the next checkout."""
    import asyncio

    from sqlalchemy import text

    from qudao.core.db import session as db_session

    pg = private_pg

    async def scenario() -> tuple[int, str, int]:
        engine = db_session.make_engine(pg.url)
        killer = db_session.make_engine(pg.url)

        async def backend() -> int:
            async with engine.connect() as conn:
                return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())

        async def kill(pid: int) -> None:
            async with killer.connect() as conn:
                await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await asyncio.sleep(0.2)

        try:
            first = await backend()
            await kill(first)
            monkeypatch.setattr(db_session, "PING_AFTER_IDLE", 0.0)  # it has sat idle: pinged, replaced
            second = await backend()
            assert second != first
            monkeypatch.setattr(db_session, "PING_AFTER_IDLE", 3600.0)  # just used: handed out as is
            await kill(second)
            try:
                await backend()
                failed = "no error"
            except Exception as error:  # noqa: BLE001 - the dead connection's error, whatever the class
                failed = type(error).__name__
            return second, failed, await backend()
        finally:
            await engine.dispose()
            await killer.dispose()

    second, failed, third = asyncio.run(scenario())
    assert failed != "no error"
    assert third != second  # the disconnect invalidated the pool: a fresh connection


def test_a_steady_load_reuses_the_connections_it_opened(private_pg: PrivatePostgres) -> None:
    """16 clients through one process's pool, each pausing between its transactions as a request
    does between its queries: 16 connections opened once, not one per turn (a pool with overflow
    closes what is idle above its size at each checkin and opens it again for the next request)."""
    import asyncio
    import random

    from sqlalchemy import event, text

    from qudao.core.db.session import make_engine

    async def scenario() -> int:
        engine = make_engine(private_pg.url)
        opened = []
        event.listen(engine.sync_engine.pool, "connect", lambda *_: opened.append(1))
        rnd = random.Random(7)

        async def client() -> None:
            for _ in range(30):
                async with engine.begin() as conn:
                    await conn.execute(text("SELECT 1"))
                await asyncio.sleep(rnd.random() * 0.004)

        try:
            await asyncio.gather(*(client() for _ in range(16)))
        finally:
            await engine.dispose()
        return len(opened)

    opened = asyncio.run(scenario())
    assert opened <= 16, opened
