"""Test support for the WeChat plugin: the fake WeChat with OAuth, settings pointing at it,
a job worker for Redis runs, and small database helpers.

* :class:`OAuthFakeWeChat` adds ``GET /sns/oauth2/access_token`` (code -> openid) and
  ``POST /cgi-bin/qrcode/create?access_token=`` (temporary parametric QR codes; the token is
  checked like the template send's) to ``tests.doubles.wechat.FakeWeChat``.
* :func:`running_fake` starts it on 127.0.0.1 and points ``get_settings().wechat_api_base`` at it
  for the test (restored afterwards).
* :func:`wait_for_jobs` waits for every queued job: the in-process worker (embedded default)
  or, with ``QUDAO_TEST_REDIS_URL``, a ``dramatiq.Worker`` this module starts on the Redis
  broker once per session (the app starts no worker when a Redis URL is set).
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dramatiq
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from qudao.core.config import get_settings, reset_settings
from tests.doubles.wechat import FakeWeChat, _Injected

APPID, SECRET, CALLBACK_TOKEN = "wx_fake_app", "fake_secret_0123456789abcdef", "cb-token-42"


class OAuthFakeWeChat(FakeWeChat):
    """FakeWeChat plus the web-OAuth code exchange. Register codes with :meth:`issue_code`."""

    def reset(self) -> None:
        super().reset()
        self.oauth_codes: dict[str, str] = {}
        self.oauth_requests = 0
        self.qr_requests = 0  # qrcode/create calls, failed ones included
        self.qr_tokens: list[str] = []  # the access token of each qrcode/create call
        self.qr_created: list[dict[str, Any]] = []  # ticket, scene, expire_seconds, url, access_token
        self.qr_expire_seconds: int | None = None  # what WeChat grants (None: what was asked)

    def fail_next_qr(self, errcode: int | None, times: int = 1) -> None:
        """The next ``times`` qrcode/create calls answer ``errcode`` (``None``: HTTP 502)."""
        with self._lock:
            self._injected.append(_Injected("qrcode", times, errcode=errcode) if errcode is not None
                                  else _Injected("qrcode", times, http_status=502))

    def scene_of(self, ticket: str) -> str | None:
        with self._lock:
            return next((q["scene"] for q in self.qr_created if q["ticket"] == ticket), None)

    def issue_code(self, openid: str) -> str:
        code = secrets.token_hex(8)
        with self._lock:
            self.oauth_codes[code] = openid
        return code

    def _handle(self, method: str, target: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        split = urlsplit(target)
        if method == "GET" and split.path == "/sns/oauth2/access_token":
            query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
            with self._lock:
                self.oauth_requests += 1
                if query.get("grant_type") != "authorization_code":
                    return 200, self._err(40002)
                if query.get("appid") != self.appid:
                    return 200, self._err(40013)
                if query.get("secret") != self.secret:
                    return 200, self._err(40125)
                openid = self.oauth_codes.pop(query.get("code") or "", None)  # a code works once
                if openid is None:
                    return 200, self._err(40029, "invalid code")
                return 200, {"access_token": "web-" + secrets.token_hex(8), "expires_in": 7200,
                             "refresh_token": "r-" + secrets.token_hex(8), "openid": openid,
                             "scope": "snsapi_base"}
        if method == "POST" and split.path == "/cgi-bin/qrcode/create":
            query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
            with self._lock:
                return self._qrcode_create(query, raw)
        return super()._handle(method, target, raw)

    def _qrcode_create(self, query: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
        self.qr_requests += 1
        access_token = query.get("access_token") or ""
        self.qr_tokens.append(access_token)
        inj = self._take_injection("qrcode")
        if inj is not None:
            return self._injected_response(inj)
        refused = self._token_refusal(query)
        if refused is not None:
            return refused
        try:
            body = json.loads(raw.decode("utf-8"))
            assert isinstance(body, dict)
            scene = body["action_info"]["scene"]["scene_str"]
            expire = int(body.get("expire_seconds", 60))
        except (ValueError, UnicodeDecodeError, AssertionError, KeyError, TypeError):
            return 200, self._err(47001)
        if body.get("action_name") != "QR_STR_SCENE" or not isinstance(scene, str) or not 1 <= len(scene) <= 64:
            return 200, self._err(40097, "invalid args")
        if not 60 <= expire <= 2592000:
            return 200, self._err(40097, "invalid args: expire_seconds")
        granted = self.qr_expire_seconds or expire
        # real tickets are base64 and carry '+', '/' and '=': the image URL must encode them
        ticket = "gQ" + base64.b64encode(secrets.token_bytes(60) + b"\xfb\xff").decode("ascii")  # ends "+/8="
        url = f"http://weixin.qq.com/q/{secrets.token_hex(12)}"
        self.qr_created.append({"ticket": ticket, "scene": scene, "expire_seconds": granted, "url": url,
                                "access_token": access_token})
        return 200, {"ticket": ticket, "expire_seconds": granted, "url": url}


@contextmanager
def running_fake() -> Iterator[OAuthFakeWeChat]:
    """The fake on 127.0.0.1 with ``wechat_api_base`` pointing at it (use after the app started)."""
    ensure_worker()
    previous = get_settings()
    with OAuthFakeWeChat(APPID, SECRET) as fake:
        reset_settings(replace(previous, wechat_api_base=fake.base_url))
        try:
            yield fake
        finally:
            reset_settings(previous)


# --- jobs ------------------------------------------------------------------------------

_worker: dict[str, dramatiq.Worker] = {}


def ensure_worker() -> None:
    """With Redis, start one worker for the rest of the session (the app runs none)."""
    from qudao.workers.broker import current_broker, start_local_worker

    broker = current_broker()
    if broker is None or get_settings().redis_url is None or "w" in _worker:
        return
    # the session's one local worker (conftest starts it with Redis): a second Worker
    # would replace Dramatiq's global asyncio loop thread and leave one running at exit
    _worker["w"] = start_local_worker()


def stop_worker() -> None:
    _worker.pop("w", None)  # the worker belongs to the session (stopped with the app)


def wait_for_jobs(timeout: float = 60.0) -> None:
    """Wait until every queue (including delayed retries) is empty and the worker is idle."""
    from qudao.workers.broker import current_broker, join

    broker = current_broker()
    if get_settings().redis_url is None:
        join(int(timeout * 1000))
        return
    ensure_worker()
    assert broker is not None
    deadline = time.monotonic() + timeout
    queues = [q for q in broker.get_declared_queues()]
    queues += [q + ".DQ" for q in queues if not q.endswith(".DQ")]
    quiet = 0
    while quiet < 3:  # empty three checks in a row: no job is running or about to be retried
        assert time.monotonic() < deadline, "jobs did not finish"
        busy = any(broker.do_qsize(q) for q in set(queues))  # type: ignore[attr-defined]
        quiet = 0 if busy else quiet + 1
        time.sleep(0.1)
    _worker["w"].join()


# --- database ----------------------------------------------------------------------------


def sql(query: str, **params: Any) -> list[Any]:
    """Run one statement as the database owner (no tenant filter): for assertions only."""

    async def run() -> list[Any]:
        engine = create_async_engine(get_settings().database_url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(text(query), params)
                return list(result.all()) if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(run())
