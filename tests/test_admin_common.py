"""Helpers for the admin page tests (staff login through the login form, CSRF), plus basic checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest

from tests.conftest import PASSWORD, TenantAPI, signup


class Staff:
    """A tenant's owner signed in through the login form, posting forms with the CSRF token."""

    def __init__(self, api: TenantAPI) -> None:
        self.api, self.client, self.slug = api, api.client, api.slug
        self.client.cookies.clear()
        self.client.cookies.set("qd_lang", "en")  # the tests read English messages
        self.get(f"/t/{self.slug}/login")
        resp = self.client.post(f"/t/{self.slug}/login", data={
            "email": f"owner@{self.slug}.test", "password": PASSWORD, "_csrf_token": self.csrf},
            follow_redirects=False)
        assert resp.status_code in (302, 303), resp.text

    @property
    def csrf(self) -> str:
        return self.client.cookies.get("qd_csrf") or ""

    def url(self, path: str) -> str:
        return path if path.startswith("/t/") else f"/t/{self.slug}/admin{path}"

    def get(self, path: str, **kw: Any) -> Any:
        resp = self.client.get(self.url(path), **kw)
        assert "Traceback" not in resp.text
        return resp

    def post(self, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        kw.setdefault("follow_redirects", True)
        resp = self.client.post(self.url(path), data={**(data or {}), "_csrf_token": self.csrf}, **kw)
        assert "Traceback" not in resp.text
        return resp


@pytest.fixture
def staff(client: Any) -> Iterator[Staff]:
    s = Staff(signup(client))
    yield s
    client.cookies.clear()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_admin_pages_need_login(client: Any) -> None:
    api = signup(client)
    client.cookies.clear()
    resp = client.get(f"/t/{api.slug}/admin/orders", follow_redirects=False)
    assert resp.status_code in (302, 303) and "/login" in resp.headers["location"]


def test_every_admin_menu_page_renders(staff: Staff) -> None:
    for path in ("", "/orders", "/orders/queue", "/products", "/customers", "/prices", "/stock", "/settings"):
        resp = staff.get(path)
        assert resp.status_code == 200, (path, resp.text[:500])


def test_buyer_cannot_open_admin(staff: Staff) -> None:
    staff.api.ok("put", "/warehouses/W1", {"name": "Main"})
    staff.api.buyer("C1")
    email = "c1-admin@buyer.test"
    staff.api.ok("put", f"/customers/C1/users/{email}", {"password": PASSWORD})
    client = staff.client
    client.cookies.clear()
    client.get(f"/t/{staff.slug}/login")
    client.post(f"/t/{staff.slug}/login", data={"email": email, "password": PASSWORD,
                                                 "_csrf_token": client.cookies.get("qd_csrf")})
    resp = client.get(f"/t/{staff.slug}/admin/products")
    assert resp.status_code == 403
