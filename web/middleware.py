"""ASGI middleware: host-based tenant routing and request logging with ids."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from litestar.types import ASGIApp, Receive, Scope, Send

from qudao.web import metrics

log = structlog.get_logger("qudao.request")
# Probes and scrapes are logged only when they fail (they arrive every few seconds per pod).
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def host_rewrite(scope: Scope, base: str) -> Scope:
    """``{slug}.{base domain}/x`` is served as ``/t/{slug}/x`` (path routing always works too).

    Applied before routing (Litestar's own middleware runs after it), see ``QudaoApp``.
    """
    if not base or scope["type"] not in ("http", "websocket"):
        return scope
    host = ""
    for key, value in scope.get("headers", []):
        if key == b"host":
            host = value.decode("latin-1").split(":")[0].lower()
            break
    path = scope.get("path", "")
    if host.endswith("." + base) and not path.startswith(("/t/", "/static/", "/schema", "/healthz", "/readyz",
                                                          "/metrics")):
        slug = host[: -len(base) - 1]
        if slug and "." not in slug and slug != "www":
            new_path = f"/t/{slug}{path}"
            return {**scope, "path": new_path, "raw_path": new_path.encode()}  # type: ignore[return-value]
    return scope


_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _tenant_from_path(path: str) -> str | None:
    """``/t/{slug}/…`` → slug (host routing has already rewritten the path)."""
    if path.startswith("/t/"):
        slug = path[3:].split("/", 1)[0]
        return slug or None
    return None


def RequestLogMiddleware(app: ASGIApp) -> ASGIApp:  # noqa: N802 - Litestar middleware factory
    """Binds ``request_id`` (the ingress's ``X-Request-ID`` when sane, else a new one) and
    ``tenant`` to every log line of the request, echoes the id in ``X-Request-ID``, logs one
    ``request`` line and feeds the Prometheus request counter and latency histogram."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        request_id = ""
        for key, value in scope.get("headers", []):
            if key == b"x-request-id":
                request_id = value.decode("latin-1")
                break
        if not _REQUEST_ID_OK.match(request_id):
            request_id = uuid.uuid4().hex[:16]
        path = scope.get("path", "")
        start = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def send_wrapper(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id, tenant=_tenant_from_path(path))
        try:
            await app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            if path not in QUIET_PATHS or status["code"] >= 400:
                log.info("request", method=scope.get("method"), path=path, status=status["code"],
                         ms=round(elapsed * 1000, 1))
            metrics.observe_request(scope.get("method", ""), status["code"], elapsed)
            structlog.contextvars.clear_contextvars()

    return middleware
