"""Operations: /metrics, /readyz, structured logs with request id and tenant."""

from __future__ import annotations

import io
import json
import logging
import uuid
from dataclasses import replace
from typing import Any

import structlog
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from qudao.core.logging import configure_logging
from tests.conftest import TenantAPI


def scrape(client: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    resp = client.get("/metrics")
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(resp.text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_requests_and_latency(client: Any) -> None:
    before = scrape(client)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.get("/t/no-such-brand-xyz/api/v1/products").status_code == 404
    after = scrape(client)
    assert value(after, "qudao_http_requests_total", method="GET", status="200") >= \
        value(before, "qudao_http_requests_total", method="GET", status="200") + 3
    assert value(after, "qudao_http_requests_total", method="GET", status="404") >= \
        value(before, "qudao_http_requests_total", method="GET", status="404") + 1
    assert value(after, "qudao_http_request_seconds_count") >= value(before, "qudao_http_request_seconds_count") + 4
    # the families the dashboards rely on are always exported
    names = {name for name, _ in after}
    assert "qudao_orders_placed_total" in names


def place_one_order(tenant: TenantAPI) -> tuple[TenantAPI, dict[str, Any]]:
    tenant.ok("put", "/products/OPS-1", {"name": "Ops tea", "price": "10.00"})
    tenant.ok("put", "/warehouses/WH", {"name": "Main"})
    tenant.ok("put", "/warehouses/WH/stock/OPS-1", {"on_hand": 50})
    buyer = tenant.buyer("OPS-C", warehouse="WH")
    resp = buyer.post("/orders", json={"lines": [{"sku": "OPS-1", "qty": 2}]},
                      headers={"Idempotency-Key": uuid.uuid4().hex})
    assert resp.status_code == 201, resp.text
    return buyer, resp


def test_orders_placed_counter(client: Any, tenant: TenantAPI) -> None:
    before = value(scrape(client), "qudao_orders_placed_total")
    buyer, first = place_one_order(tenant)
    assert value(scrape(client), "qudao_orders_placed_total") == before + 1
    # a replay of the same Idempotency-Key is not a second order
    key = uuid.uuid4().hex
    body = {"lines": [{"sku": "OPS-1", "qty": 1}]}
    assert buyer.post("/orders", json=body, headers={"Idempotency-Key": key}).status_code == 201
    assert buyer.post("/orders", json=body, headers={"Idempotency-Key": key}).status_code == 200
    assert value(scrape(client), "qudao_orders_placed_total") == before + 2


def test_readyz_ok_with_database_and_redis(client: Any, test_settings: Any) -> None:
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    # with a Redis configured (the PostgreSQL + Redis run) it is checked, else it is reported as absent
    assert body["redis"] == ("ok" if test_settings.redis_url else "not configured")


def _ready(settings: Any) -> Any:
    from qudao.core.plugins.host import get_host
    from qudao.web.app import create_app

    app = create_app(settings, get_host(), manage_broker=False, start_inprocess_worker=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        return c.get("/readyz"), c.get("/healthz")


def test_readyz_503_when_redis_unreachable(test_settings: Any) -> None:
    # port 1 on loopback: nothing listens there, the connection is refused at once
    ready, health = _ready(replace(test_settings, redis_url="redis://127.0.0.1:1/0"))
    assert ready.status_code == 503, ready.text
    assert ready.json()["redis"] == "unreachable" and ready.json()["database"] == "ok"
    assert health.status_code == 200  # liveness does not depend on Redis: no restart storms


def test_readyz_503_when_database_unreachable(test_settings: Any, tmp_path: Any) -> None:
    if test_settings.database_url.startswith("postgresql"):
        bad = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"
    else:
        bad = f"sqlite+aiosqlite:///{tmp_path}/missing-dir/nested/x.db"
    ready, health = _ready(replace(test_settings, database_url=bad, redis_url=None))
    assert ready.status_code == 503 and ready.json()["database"] == "unreachable"
    assert health.status_code == 503


class _Restore:
    """Put logging back exactly as it was, whatever the test did."""

    def __enter__(self) -> _Restore:
        root = logging.getLogger()
        self.handlers, self.level = list(root.handlers), root.level
        self.structlog = structlog.get_config()
        self.levels = {n: logging.getLogger(n).level for n in ("httpx", "httpcore")}
        return self

    def __exit__(self, *exc: Any) -> None:
        root = logging.getLogger()
        root.handlers[:] = self.handlers
        root.setLevel(self.level)
        structlog.configure(**self.structlog)
        for name, level in self.levels.items():
            logging.getLogger(name).setLevel(level)


def test_json_logs_carry_request_id_and_tenant(client: Any, tenant: TenantAPI) -> None:
    stream = io.StringIO()
    with _Restore():
        configure_logging(json=True, stream=stream)
        resp = tenant.get("/products", headers={"X-Request-ID": "ingress-req-0001"})
        assert resp.status_code == 200
        assert resp.headers["x-request-id"] == "ingress-req-0001"
        other = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
        assert len(other.headers["x-request-id"]) == 16
        logging.getLogger("httpx").info("GET https://api.example/?access_token=SECRET")
        assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    assert lines, "nothing was logged"
    for line in lines:
        assert {"timestamp", "level", "event", "request_id", "tenant"} <= line.keys(), line
    requests = [line for line in lines if line["event"] == "request" and line.get("path", "").endswith("/products")]
    assert requests, lines
    assert requests[-1]["request_id"] == "ingress-req-0001"
    assert requests[-1]["tenant"] == tenant.slug
    assert requests[-1]["status"] == 200 and requests[-1]["level"] == "info"
    assert "SECRET" not in stream.getvalue()


def test_console_logs_when_not_json() -> None:
    stream = io.StringIO()
    with _Restore():
        configure_logging(json=False, stream=stream)
        structlog.contextvars.bind_contextvars(request_id="r-console", tenant="acme")
        try:
            structlog.get_logger("qudao.test").info("hello console", n=1)
        finally:
            structlog.contextvars.clear_contextvars()
    text = stream.getvalue()
    assert "hello console" in text and "request_id=r-console" in text and "tenant=acme" in text
    assert not text.lstrip().startswith("{")


def test_log_level_warning_drops_the_access_line_and_keeps_warnings(client: Any, tenant: TenantAPI,
                                                                    monkeypatch: Any) -> None:
    """QUDAO_LOG_LEVEL (README): WARNING keeps a pod's log to what needs a look; a value that is
    not a level keeps INFO."""
    from qudao.core.config import load_settings

    monkeypatch.setenv("QUDAO_LOG_LEVEL", "warning")
    assert load_settings().log_level == "WARNING"
    monkeypatch.setenv("QUDAO_LOG_LEVEL", "loud")
    assert load_settings().log_level == "INFO"
    stream = io.StringIO()
    with _Restore():
        configure_logging(json=True, level="WARNING", stream=stream)
        assert tenant.get("/products").status_code == 200
        structlog.get_logger("qudao.test").warning("look at this")
    events = [json.loads(line)["event"] for line in stream.getvalue().splitlines() if line.strip()]
    assert "request" not in events and "look at this" in events, events


def test_the_app_keeps_the_json_log_handler_and_the_configured_level(test_settings: Any, capsys: Any) -> None:
    """A served app logs JSON at QUDAO_LOG_LEVEL: Litestar's default logging config used to replace
    the handler create_app had just installed with a plain-text one at INFO (every request line in
    a pod's log as a Python dict, the WARNING setting ignored)."""
    from qudao.web.app import create_app

    with _Restore():
        create_app(replace(test_settings, log_json=True, log_level="WARNING"),
                   start_inprocess_worker=False, manage_broker=False)
        root = logging.getLogger()
        assert root.level == logging.WARNING
        assert not [h for h in root.handlers if type(h).__name__ == "QueueHandler"], root.handlers
        structlog.get_logger("qudao.test").info("quiet line")
        structlog.get_logger("qudao.test").warning("loud line", n=1)
    out = capsys.readouterr()
    lines = [json.loads(line) for line in out.out.splitlines() if line.strip()]
    assert [line["event"] for line in lines] == ["loud line"], out
    assert "loud line" not in out.err


def test_qudao_serve_logs_json_once_per_request_and_honours_the_level(tmp_path: Any) -> None:
    """The real ``qudao serve``: at INFO one JSON ``request`` line per request, unrouted paths
    included (uvicorn's own access line is off: it said the same without request id or tenant);
    at WARNING none, uvicorn's start-up chatter included."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import httpx

    from qudao.testing.served import free_port, stop_group, wait_healthy

    qudao = str(Path(sys.executable).with_name("qudao"))
    env = {**os.environ, "QUDAO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'q.db'}",
           "QUDAO_VAR_DIR": str(tmp_path), "QUDAO_SECRET_KEY": "k" * 40, "QUDAO_LOG_JSON": "1"}
    env.pop("QUDAO_REDIS_URL", None)
    upgraded = subprocess.run([qudao, "db", "upgrade"], env=env, capture_output=True, text=True, timeout=300)
    assert upgraded.returncode == 0, upgraded.stderr
    for level in ("INFO", "WARNING"):
        port, log = free_port(), tmp_path / f"{level}.log"
        with log.open("wb") as out:
            server = subprocess.Popen([qudao, "serve", "--no-demo", "--no-migrate", "--port", str(port)],
                                      env={**env, "QUDAO_LOG_LEVEL": level}, stdout=out, stderr=subprocess.STDOUT,
                                      start_new_session=True)
            try:
                base = f"http://127.0.0.1:{port}"
                assert wait_healthy(base, server, 90, interval=0.3) is None, log.read_text()
                refused = httpx.post(f"{base}/api/v1/signup", json={"slug": f"bad slug {level}"}, timeout=30)
                assert refused.status_code in (400, 422), refused.text
                assert httpx.get(f"{base}/no-such-page", timeout=30).status_code == 404
            finally:
                stop_group(server)
        lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]  # all JSON
        mentions = [line for line in lines if "/api/v1/signup" in json.dumps(line) or "/no-such-page" in json.dumps(line)]
        if level == "INFO":  # a path that no route matches is logged too (the log wraps the router)
            assert [(m["logger"], m["event"], m["status"]) for m in mentions] == [
                ("qudao.request", "request", refused.status_code), ("qudao.request", "request", 404)], lines
        else:
            assert mentions == [] and all(line["level"] != "info" for line in lines), lines
