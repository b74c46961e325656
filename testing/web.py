"""Signing in through the login form, as a browser would (CSRF cookie first)."""

from __future__ import annotations

from typing import Any

from qudao.testing.api import PASSWORD


def csrf_of(c: Any) -> str:
    return c.cookies.get("qd_csrf") or ""


def web_login(c: Any, slug: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form (CSRF cookie first), as a browser would."""
    c.get(f"/t/{slug}/login")
    resp = c.post(f"/t/{slug}/login", data={"email": email, "password": password, "_csrf_token": csrf_of(c)},
                  follow_redirects=False)
    assert resp.status_code in (302, 303), resp.text[:500]
