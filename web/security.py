"""Transport security at the edge of the app: the client's real scheme and address
behind a trusted proxy, ``Secure`` cookies and HSTS over https, and the headers every
answer carries (Content-Security-Policy without inline script, nosniff, referrer policy,
no framing).

It runs in ``QudaoApp.__call__`` before routing, so it covers pages, the API, static
files and error answers alike, and whatever ASGI server runs the app.
"""

from __future__ import annotations

from typing import Any

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from qudao.core.config import Settings

# Scripts only from our own origin (pages keep no inline script or on* handlers; see
# web/static/qudao.js); inline style attributes stay allowed. Images may come from https
# hosts (WeChat QR codes, product images given as URLs).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'")
HSTS = "max-age=31536000; includeSubDomains"
BASE_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]
# The OpenAPI viewers (/schema/swagger, /schema/redoc…) load their own inline script.
CSP_EXEMPT_PREFIXES = ("/schema",)
DEFAULT_TRUSTED_PROXIES = "127.0.0.1"


async def _nothing(scope: Any, receive: Any, send: Any) -> None:
    """The proxy-header middleware rewrites the scope in place; we only want that."""


class Edge:
    """Applies the settings' proxy trust and security headers to one ASGI call."""

    def __init__(self, settings: Settings) -> None:
        trusted = (settings.trusted_proxies or DEFAULT_TRUSTED_PROXIES).strip()
        self._proxy = ProxyHeadersMiddleware(_nothing, trusted_hosts=trusted)
        self.always_https = (settings.public_url or "").lower().startswith("https://")

    async def resolve(self, scope: dict[str, Any]) -> None:
        """Take scheme and client address from X-Forwarded-* when the peer is a trusted proxy."""
        await self._proxy(scope, _no_receive, _no_send)

    def wrap_send(self, scope: dict[str, Any], send: Any) -> Any:
        https = self.always_https or scope.get("scheme") == "https"
        csp = not scope.get("path", "").startswith(CSP_EXEMPT_PREFIXES)

        async def secured_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = secure_headers(list(message.get("headers") or []), https=https, csp=csp)
            await send(message)

        return secured_send

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any, app: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        await self.resolve(scope)
        await app(scope, receive, self.wrap_send(scope, send))


async def _no_receive() -> dict[str, Any]:  # pragma: no cover - never called
    return {"type": "http.disconnect"}


async def _no_send(message: Any) -> None:  # pragma: no cover - never called
    return None


def secure_headers(headers: list[tuple[bytes, bytes]], *, https: bool, csp: bool) -> list[tuple[bytes, bytes]]:
    """Add the missing security headers; over https, mark every cookie ``Secure``."""
    names = {name.lower() for name, _ in headers}
    out: list[tuple[bytes, bytes]] = []
    for name, value in headers:
        if https and name.lower() == b"set-cookie" and b"secure" not in [
                part.strip().lower() for part in value.split(b";")[1:]]:
            value = value + b"; Secure"
        out.append((name, value))
    extra = list(BASE_HEADERS)
    if csp:
        extra.append((b"content-security-policy", CSP.encode()))
    if https:
        extra.append((b"strict-transport-security", HSTS.encode()))
    out.extend((n, v) for n, v in extra if n not in names)
    return out
