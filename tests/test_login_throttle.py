"""Login throttling cannot lock an owner out: an attacker's wrong passwords throttle the
attacker's (account, IP) pair and IP; the account itself is only slowed, and a browser
that signed in before (a signed device cookie) gets in even from the attacker's IP."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from qudao.core.asyncutil import run_sync
from qudao.core.auth import devices, throttle
from qudao.core.auth.models import LoginAttempt
from qudao.core.db.session import Database
from tests.conftest import PASSWORD, signup


def _ip() -> dict[str, str]:
    """A client address of its own per test (attempts outlive a test run on a kept database)."""
    return {"X-Forwarded-For": "10.{}.{}.{}".format(*random.sample(range(1, 255), 3))}


@pytest.fixture
def proxied(test_settings: Any, client: Any) -> Iterator[TestClient[Any]]:
    """The app behind a trusted proxy, so each request can come from its own client IP."""
    from qudao.core.plugins.host import get_host
    from qudao.web.app import create_app

    app = create_app(replace(test_settings, trusted_proxies="*"), get_host(), manage_broker=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _token(c: TestClient[Any], slug: str, email: str, password: str, headers: dict[str, str]) -> Any:
    return c.post(f"/t/{slug}/api/v1/auth/token", json={"email": email, "password": password}, headers=headers)


def _page_login(c: TestClient[Any], slug: str, email: str, password: str, headers: dict[str, str]) -> Any:
    c.get(f"/t/{slug}/login", headers=headers)
    return c.post(f"/t/{slug}/login", headers=headers, follow_redirects=False,
                  data={"email": email, "password": password, "_csrf_token": c.cookies.get("qd_csrf") or ""})


def _attack(c: TestClient[Any], slug: str, email: str, headers: dict[str, str], n: int = 12) -> list[int]:
    return [_token(c, slug, email, f"wrong-password-{i}", headers).status_code for i in range(n)]


def test_owner_logs_in_from_another_ip_after_a_lockout_attack(proxied: TestClient[Any], client: Any) -> None:
    t = signup(client)
    owner = f"owner@{t.slug}.test"
    attacker, owner_ip = _ip(), _ip()
    codes = _attack(proxied, t.slug, owner, attacker)
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
    # the attacker's pair stays refused, even with the right password
    assert _token(proxied, t.slug, owner, PASSWORD, attacker).status_code == 429
    # the owner, elsewhere: slowed down, not refused (API and page)
    began = time.monotonic()
    resp = _token(proxied, t.slug, owner, PASSWORD, owner_ip)
    assert resp.status_code == 200, resp.text
    assert time.monotonic() - began >= throttle.delay_for(10) > 0
    assert _page_login(proxied, t.slug, owner, PASSWORD, owner_ip).status_code in (302, 303)


def test_known_device_gets_in_from_the_attackers_ip(proxied: TestClient[Any], client: Any) -> None:
    t = signup(client)
    owner = f"owner@{t.slug}.test"
    shared_nat = _ip()
    first = _page_login(proxied, t.slug, owner, PASSWORD, shared_nat)
    assert first.status_code in (302, 303)
    device = proxied.cookies.get(devices.COOKIE)
    assert device and "HttpOnly" in next(c for c in first.headers.get_list("set-cookie") if "qd_device" in c)
    proxied.cookies.clear()
    assert _attack(proxied, t.slug, owner, headers=shared_nat)[-1] == 429
    # without the device cookie, that IP is refused; with it, the owner signs in
    assert _page_login(proxied, t.slug, owner, PASSWORD, shared_nat).status_code == 429
    proxied.cookies.clear()
    proxied.cookies.set(devices.COOKIE, device)
    assert _page_login(proxied, t.slug, owner, PASSWORD, shared_nat).status_code in (302, 303)
    assert _token(proxied, t.slug, owner, PASSWORD, shared_nat).status_code == 200


def test_device_cookie_is_bound_to_its_account_and_limited(proxied: TestClient[Any], client: Any) -> None:
    t = signup(client)
    owner = f"owner@{t.slug}.test"
    t.buyer("DEV1", email=f"buyer@{t.slug}.test")
    ip = _ip()
    assert _page_login(proxied, t.slug, f"buyer@{t.slug}.test", PASSWORD, ip).status_code in (302, 303)
    buyer_device = proxied.cookies.get(devices.COOKIE)
    proxied.cookies.clear()
    _attack(proxied, t.slug, owner, headers=ip)
    # the buyer's device is no device of the owner's, and a forged entry is nothing
    for cookie in [buyer_device, "abcdef0123456789.0123456789abcdef0123.00000000000000000000000000000000"]:
        proxied.cookies.clear()
        proxied.cookies.set(devices.COOKIE, cookie)
        assert _token(proxied, t.slug, owner, PASSWORD, ip).status_code == 429
    # a known device guessing has its own limit
    proxied.cookies.clear()
    proxied.cookies.set(devices.COOKIE, buyer_device)
    codes = [_token(proxied, t.slug, f"buyer@{t.slug}.test", "nope-nope-nope", ip).status_code for _ in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429


def test_unknown_email_and_wrong_password_get_the_same_answers(proxied: TestClient[Any], client: Any) -> None:
    t = signup(client)
    ip = _ip()
    real = [_token(proxied, t.slug, f"owner@{t.slug}.test", "bad-password-1", ip) for _ in range(11)]
    ghost = [_token(proxied, t.slug, f"ghost@{t.slug}.test", "bad-password-1", ip) for _ in range(11)]
    assert [r.status_code for r in real] == [r.status_code for r in ghost] == [401] * 10 + [429]
    assert real[0].json() == ghost[0].json() and real[-1].json() == ghost[-1].json()


def test_ip_throttled_across_accounts(proxied: TestClient[Any], client: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(throttle, "MAX_PER_IP", 12)
    t = signup(client)
    ip, owner_ip = _ip(), _ip()
    codes = [_token(proxied, t.slug, f"user{i}@{t.slug}.test", "bad-password-1", ip).status_code for i in range(13)]
    assert codes[:12] == [401] * 12 and codes[12] == 429
    assert _token(proxied, t.slug, f"owner@{t.slug}.test", PASSWORD, ip).status_code == 429
    assert _token(proxied, t.slug, f"owner@{t.slug}.test", PASSWORD, owner_ip).status_code == 200


def test_every_attempt_is_logged(proxied: TestClient[Any], client: Any, test_settings: Any) -> None:
    t = signup(client)
    owner = f"owner@{t.slug}.test"
    ip, owner_ip = _ip(), _ip()
    _attack(proxied, t.slug, owner, n=11, headers=ip)
    assert _token(proxied, t.slug, owner, PASSWORD, owner_ip).status_code == 200

    async def rows() -> list[tuple[str, str]]:
        db = Database(test_settings.database_url, test_settings.db_app_role)
        try:
            async with db.sessions() as s:
                return [tuple(r) for r in (await s.execute(
                    select(LoginAttempt.ip, LoginAttempt.outcome).where(LoginAttempt.account_key.like(f"%:{owner}"))
                    .order_by(LoginAttempt.at))).all()]
        finally:
            await db.dispose()

    log = run_sync(rows())
    assert log[:10] == [(ip["X-Forwarded-For"], "failed")] * 10
    assert log[10] == (ip["X-Forwarded-For"], "throttled")
    assert log[-1] == (owner_ip["X-Forwarded-For"], "ok")


def test_platform_operator_login_is_throttled_per_ip(proxied: TestClient[Any], test_settings: Any) -> None:
    import uuid

    from qudao.web.demo import create_operator

    email = f"op-{uuid.uuid4().hex[:6]}@platform.test"
    run_sync(create_operator(test_settings, email, PASSWORD))

    def login(password: str, headers: dict[str, str]) -> int:
        proxied.get("/platform/login", headers=headers)
        return proxied.post("/platform/login", headers=headers, follow_redirects=False, data={
            "email": email, "password": password, "_csrf_token": proxied.cookies.get("qd_csrf") or ""}).status_code

    attacker, owner_ip = _ip(), _ip()
    codes = [login("wrong-password-x", attacker) for _ in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429
    assert login(PASSWORD, owner_ip) in (302, 303)
