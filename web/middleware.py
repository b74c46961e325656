"""ASGI middleware: host-based tenant routing and request logging with ids."""

from __future__ import annotations

import time
import uuid
from typing import Any

import structlog
from litestar.types import ASGIApp, Receive, Scope, Send

log = structlog.get_logger("qudao.request")


class HostRoutingMiddleware:
    """``{slug}.{base domain}/x`` is served as ``/t/{slug}/x`` (path routing always works too)."""

    def __init__(self, base_domain: str | None) -> None:
        self.base = (base_domain or "").lower().strip(".")

    def __call__(self, app: ASGIApp) -> ASGIApp:
        base = self.base

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if base and scope["type"] in ("http", "websocket"):
                host = ""
                for key, value in scope.get("headers", []):
                    if key == b"host":
                        host = value.decode("latin-1").split(":")[0].lower()
                        break
                path = scope.get("path", "")
                if host.endswith("." + base) and not path.startswith(("/t/", "/static/", "/schema")):
                    slug = host[: -len(base) - 1]
                    if slug and "." not in slug and slug != "www":
                        new_path = f"/t/{slug}{path if path != '/' else '/'}"
                        scope = {**scope, "path": new_path, "raw_path": new_path.encode()}
            await app(scope, receive, send)

        return middleware


def RequestLogMiddleware(app: ASGIApp) -> ASGIApp:  # noqa: N802 - Litestar middleware factory
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        start = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def send_wrapper(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            state = scope.get("state") or {}
            log.info("request", method=scope.get("method"), path=scope.get("path"), status=status["code"],
                     ms=round(elapsed * 1000, 1), tenant=state.get("tenant_slug"))
            from qudao.web import metrics

            metrics.observe_request(scope.get("method", ""), status["code"], elapsed)
            structlog.contextvars.clear_contextvars()

    return middleware
