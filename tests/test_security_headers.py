"""Security headers and cookies: Secure + HSTS behind a trusted https proxy (and only
then), a Content-Security-Policy on every page, and no page with inline script (the
policy allows scripts from 'self' only, so an inline one would silently stop working)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from html.parser import HTMLParser
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import PASSWORD, signup, web_login

HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


def _own_client(settings: Any, **changes: Any) -> Iterator[TestClient[Any]]:
    from qudao.core.plugins.host import get_host
    from qudao.web.app import create_app

    app = create_app(replace(settings, **changes), get_host(), manage_broker=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def proxied(test_settings: Any, client: Any) -> Iterator[TestClient[Any]]:
    """The app behind a trusted proxy (the test client's peer address is trusted)."""
    yield from _own_client(test_settings, trusted_proxies="*")


def _cookies(resp: Any) -> list[str]:
    return resp.headers.get_list("set-cookie")


def _login(c: TestClient[Any], slug: str, email: str, headers: dict[str, str]) -> Any:
    """Sign in over the proxied https (the test client, speaking http, keeps no Secure cookie)."""
    first = c.get(f"/t/{slug}/login", headers=headers)
    csrf = next(x for x in _cookies(first) if x.startswith("qd_csrf=")).split(";", 1)[0].split("=", 1)[1]
    return c.post(f"/t/{slug}/login", data={"email": email, "password": PASSWORD, "_csrf_token": csrf},
                  headers={**headers, "cookie": f"qd_csrf={csrf}"}, follow_redirects=False)


def test_https_behind_trusted_proxy_marks_cookies_secure(proxied: TestClient[Any], client: Any) -> None:
    t = signup(client)
    resp = proxied.get(f"/t/{t.slug}/login", headers=HTTPS)
    assert resp.status_code == 200
    assert resp.headers["strict-transport-security"].startswith("max-age=")
    cookies = _cookies(resp)
    assert cookies and all("; Secure" in c for c in cookies), cookies
    login = _login(proxied, t.slug, f"owner@{t.slug}.test", HTTPS)
    assert login.status_code in (302, 303)
    session = [c for c in _cookies(login) if c.startswith("qd_session=")]
    assert session and "Secure" in session[0] and "HttpOnly" in session[0], session


def test_plain_http_or_untrusted_peer_is_not_secure(web: TestClient[Any], proxied: TestClient[Any],
                                                    client: Any) -> None:
    t = signup(client)
    # the peer is not a trusted proxy: its X-Forwarded-Proto is ignored
    resp = web.get(f"/t/{t.slug}/login", headers=HTTPS)
    assert "strict-transport-security" not in resp.headers
    assert not any("Secure" in c for c in _cookies(resp))
    # a trusted proxy that says http
    resp = proxied.get(f"/t/{t.slug}/login", headers={"X-Forwarded-Proto": "http"})
    assert "strict-transport-security" not in resp.headers
    assert not any("Secure" in c for c in _cookies(resp))


def test_public_https_url_marks_every_answer_secure(test_settings: Any, client: Any) -> None:
    t = signup(client)
    for c in _own_client(test_settings, public_url="https://shop.example.com"):
        resp = c.get(f"/t/{t.slug}/login")
        assert "strict-transport-security" in resp.headers
        assert _cookies(resp) and all("; Secure" in x for x in _cookies(resp))


def test_every_answer_carries_the_security_headers(client: Any) -> None:
    t = signup(client)
    for path in ["/", f"/t/{t.slug}/login", f"/t/{t.slug}/api/v1/products", "/static/qudao.css", "/healthz",
                 f"/t/{t.slug}/no-such-page"]:
        resp = client.get(path, headers=t.headers)
        assert resp.headers["x-content-type-options"] == "nosniff", path
        assert resp.headers["referrer-policy"] == "strict-origin-when-cross-origin", path
        assert resp.headers["x-frame-options"] == "DENY", path
        csp = resp.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline'; img" in csp
        assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0], path


# --- every page: no inline script ---------------------------------------------------------------


class _InlineScriptFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.links: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in ("href", "action", "src", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:…>")
            if name.startswith("hx-on"):
                self.problems.append(f"<{tag} {name}> (htmx eval)")
        if tag == "script" and not dict(attrs).get("src"):
            self._in_inline_script = True
            self.problems.append("<script> without src")
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        self._in_inline_script = False if tag == "script" else self._in_inline_script


def _walk(c: TestClient[Any], start: list[str], prefix: str, limit: int = 150) -> dict[str, list[str]]:
    """Follow same-tenant links from the start pages; return the inline-script problems per page."""
    seen: set[str] = set()
    queue = list(start)
    found: dict[str, list[str]] = {}
    while queue and len(seen) < limit:
        path = queue.pop(0).split("#", 1)[0]
        if path in seen or not path.startswith(prefix) or "/logout" in path or path.endswith((".csv", ".xlsx")):
            continue
        seen.add(path)
        resp = c.get(path)
        assert resp.status_code != 500, f"{path} -> {resp.status_code}"  # 502: Stripe not configured
        if "text/html" not in resp.headers.get("content-type", ""):
            continue
        assert "script-src 'self'" in resp.headers.get("content-security-policy", ""), path
        finder = _InlineScriptFinder()
        finder.feed(resp.text)
        if finder.problems:
            found[path] = finder.problems
        queue.extend(link for link in finder.links if link.startswith(prefix))
    assert len(seen) > 10, seen
    return found


def test_no_page_has_inline_script(web: TestClient[Any], client: Any) -> None:
    t = signup(client)
    for plugin in [p["name"] for p in t.ok("get", "/plugins")]:
        t.ok("put", f"/plugins/{plugin}", {"enabled": True})
    t.ok("put", "/products/CSP-1", {"name": "CSP product", "price": "9.90", "retail_price": "19.90"})
    t.ok("put", "/warehouses/W1", {"name": "Main"})
    t.ok("put", "/warehouses/W1/stock/CSP-1", {"on_hand": 40})
    buyer = t.buyer("CSPC", email=f"buyer@{t.slug}.test")
    buyer.ok("post", "/orders", {"lines": [{"sku": "CSP-1", "qty": 2}]})
    base = f"/t/{t.slug}"
    problems = {}
    web_login(web, t.slug, f"owner@{t.slug}.test")
    problems.update(_walk(web, [f"{base}/admin", f"{base}/admin/orders", f"{base}/admin/products",
                                f"{base}/admin/plugins"], f"{base}/admin"))
    web.cookies.clear()
    problems.update(_walk(web, [f"{base}/login", "/", "/signup"], "/"))
    web_login(web, t.slug, f"buyer@{t.slug}.test")
    problems.update(_walk(web, [f"{base}/", f"{base}/cart", f"{base}/orders"], base))
    assert not problems, problems
