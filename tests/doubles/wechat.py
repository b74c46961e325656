"""A fake WeChat official-account API (token + template messages) for tests.

Runs on ``127.0.0.1:<free port>`` in a daemon thread (stdlib only).

Endpoints (WeChat answers HTTP 200 with ``{"errcode", "errmsg"}`` on errors):

* ``GET /cgi-bin/token?grant_type=client_credential&appid=&secret=`` – a new
  token on every call; the previous one stays valid for ``grace_seconds``
  (5 min) and then becomes invalid (40001), as on WeChat.
* ``POST /cgi-bin/stable_token`` ``{grant_type, appid, secret, force_refresh}``
  – returns the current token while it is valid (``expires_in`` = time left);
  ``force_refresh: true`` issues a new one and invalidates the old at once.
* ``POST /cgi-bin/message/template/send?access_token=`` ``{touser,
  template_id, url?, data: {key: {value}}}`` → ``{errcode, errmsg, msgid}``.

Error codes: 41001 token missing, 40001 unknown/invalidated token, 42001
expired token, 40013 bad appid, 40125 bad secret, 40002 bad grant_type,
40003 bad openid, 40037 unknown template, 43004 user not following, 47001
malformed body, 47003 bad data (e.g. a value over 20 characters), 45009
daily quota.

Test controls::

    with FakeWeChat(appid="wx1", secret="s3cret") as fake:
        fake.expire_tokens()            # every issued token -> 42001
        fake.invalidate_tokens()        # every issued token -> 40001
        fake.advance(7200)              # move the fake clock
        fake.fail_next(45009)           # next send answers errcode 45009
        fake.fail_next(40001, times=2, endpoint="send")
        fake.fail_next_http(502)        # next request answers HTTP 502
        fake.set_openid_error("o_gone", 43004)   # persistent, per openid
        fake.unfollow("o_gone")                  # same as 43004
        fake.daily_quota = 100                   # then 45009
        fake.sent, fake.token_requests, fake.send_attempts
"""

from __future__ import annotations

import copy
import json
import secrets
import string
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["FakeWeChat", "ERRMSG"]

ERRMSG: dict[int, str] = {
    0: "ok",
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40013: "invalid appid",
    40014: "invalid access_token",
    40037: "invalid template_id",
    40125: "invalid appsecret",
    41001: "access_token missing",
    42001: "access_token expired",
    43004: "require subscribe",
    45009: "reach max api daily quota limit",
    47001: "data format error",
    47003: "argument invalid!",
}

_TOKEN_CHARS = string.ascii_letters + string.digits + "_-"


@dataclass
class _Token:
    value: str
    expires_at: float
    invalid_after: float | None = None  # rotation grace (GET /cgi-bin/token)
    invalidated: bool = False
    stable: bool = False


@dataclass
class _Injected:
    endpoint: str  # "send", "token" (both token endpoints), "qrcode" or "any"
    times: int
    errcode: int | None = None
    http_status: int | None = None
    errmsg: str | None = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeWeChat/1.0"

    def _serve(self) -> None:
        fake: FakeWeChat = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        status, payload = fake._handle(self.command, self.path, raw)
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; encoding=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class FakeWeChat:
    """Fake ``api.weixin.qq.com`` for one official account (``appid``/``secret``).

    Attributes for assertions:
        sent: successfully sent template messages (dicts with ``touser``,
            ``template_id``, ``url``, ``data``, ``msgid``, ``access_token``).
        token_requests: number of token requests (both endpoints, incl. failed).
        stable_token_requests / force_refreshes: finer counts.
        send_attempts: number of template send requests (incl. failed).
        templates: if not ``None``, the only template ids accepted (else 40037).
    """

    def __init__(
        self,
        appid: str = "wx_test_appid",
        secret: str = "test_secret",
        *,
        token_ttl: int = 7200,
        grace_seconds: int = 300,
        max_value_length: int = 20,
    ) -> None:
        self.appid = appid
        self.secret = secret
        self.token_ttl = token_ttl
        self.grace_seconds = grace_seconds
        self.max_value_length = max_value_length
        self.base_url = ""
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> FakeWeChat:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-wechat", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeWeChat:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- controls ------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
            self._tokens: dict[str, _Token] = {}
            self._stable: str | None = None
            self._injected: list[_Injected] = []
            self._openid_errors: dict[str, int] = {}
            self._msgid = 1000
            self.templates: set[str] | None = None
            self.daily_quota: int | None = None
            self.sent: list[dict[str, Any]] = []
            self.token_requests = 0
            self.stable_token_requests = 0
            self.force_refreshes = 0
            self.send_attempts = 0

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward (tokens age accordingly)."""
        with self._lock:
            self._offset += seconds

    def expire_tokens(self) -> None:
        """Every token issued so far now answers 42001 (expired)."""
        with self._lock:
            past = self.now() - 1
            for token in self._tokens.values():
                token.expires_at = min(token.expires_at, past)

    def invalidate_tokens(self) -> None:
        """Every token issued so far now answers 40001 (e.g. secret reset)."""
        with self._lock:
            for token in self._tokens.values():
                token.invalidated = True
            self._stable = None

    def issue_token(self) -> str:
        """A valid token, without counting a token request (for raw tests)."""
        with self._lock:
            return self._new_token(stable=False).value

    def fail_next(
        self, errcode: int, times: int = 1, *, endpoint: str = "send", errmsg: str | None = None
    ) -> None:
        """The next ``times`` requests to ``endpoint`` ("send", "token" or
        "any") answer ``errcode`` without doing anything."""
        if endpoint not in ("send", "token", "any"):
            raise ValueError("endpoint must be 'send', 'token' or 'any'")
        with self._lock:
            self._injected.append(_Injected(endpoint, times, errcode=errcode, errmsg=errmsg))

    def fail_next_http(self, status: int = 502, times: int = 1, *, endpoint: str = "any") -> None:
        """The next ``times`` requests answer HTTP ``status`` (a gateway error)."""
        with self._lock:
            self._injected.append(_Injected(endpoint, times, http_status=status))

    def set_openid_error(self, openid: str, errcode: int | None) -> None:
        """Sends to ``openid`` always answer ``errcode`` (``None`` clears)."""
        with self._lock:
            if errcode is None:
                self._openid_errors.pop(openid, None)
            else:
                self._openid_errors[openid] = errcode

    def unfollow(self, openid: str) -> None:
        self.set_openid_error(openid, 43004)

    @property
    def valid_tokens(self) -> list[str]:
        with self._lock:
            return [t.value for t in self._tokens.values() if self._token_state(t) == 0]

    # -- internals -----------------------------------------------------------

    def _new_token(self, *, stable: bool) -> _Token:
        now = self.now()
        value = "".join(secrets.choice(_TOKEN_CHARS) for _ in range(64))
        token = _Token(value=value, expires_at=now + self.token_ttl, stable=stable)
        self._tokens[value] = token
        return token

    def _token_state(self, token: _Token | None) -> int:
        if token is None or token.invalidated:
            return 40001
        now = self.now()
        if token.invalid_after is not None and now >= token.invalid_after:
            return 40001
        if now >= token.expires_at:
            return 42001
        return 0

    def _take_injection(self, endpoint: str) -> _Injected | None:
        for inj in self._injected:
            if inj.times > 0 and inj.endpoint in (endpoint, "any"):
                inj.times -= 1
                if inj.times <= 0:
                    self._injected.remove(inj)
                return inj
        return None

    @staticmethod
    def _err(errcode: int, errmsg: str | None = None) -> dict[str, Any]:
        msg = errmsg or ERRMSG.get(errcode, "error")
        return {"errcode": errcode, "errmsg": f"{msg} rid: {secrets.token_hex(4)}"}

    def _handle(self, method: str, target: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        split = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        with self._lock:
            if method == "GET" and split.path == "/cgi-bin/token":
                return self._token(query)
            if method == "POST" and split.path == "/cgi-bin/stable_token":
                return self._stable_token(raw)
            if method == "POST" and split.path == "/cgi-bin/message/template/send":
                return self._send(query, raw)
        return 404, {"errcode": 404, "errmsg": "not found"}

    def _check_credentials(self, grant_type: Any, appid: Any, secret: Any) -> dict[str, Any] | None:
        if grant_type != "client_credential":
            return self._err(40002)
        if appid != self.appid:
            return self._err(40013)
        if secret != self.secret:
            return self._err(40125)
        return None

    def _injected_response(self, inj: _Injected) -> tuple[int, dict[str, Any]]:
        if inj.http_status is not None:
            return inj.http_status, {"errcode": -1, "errmsg": "bad gateway (injected)"}
        assert inj.errcode is not None
        return 200, self._err(inj.errcode, inj.errmsg)

    def _token(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.token_requests += 1
        inj = self._take_injection("token")
        if inj is not None:
            return self._injected_response(inj)
        error = self._check_credentials(query.get("grant_type"), query.get("appid"), query.get("secret"))
        if error:
            return 200, error
        # A new ordinary token: earlier ordinary tokens die after the grace period.
        deadline = self.now() + self.grace_seconds
        for token in self._tokens.values():
            if not token.stable and token.invalid_after is None:
                token.invalid_after = deadline
        token = self._new_token(stable=False)
        return 200, {"access_token": token.value, "expires_in": self.token_ttl}

    def _stable_token(self, raw: bytes) -> tuple[int, dict[str, Any]]:
        self.token_requests += 1
        self.stable_token_requests += 1
        inj = self._take_injection("token")
        if inj is not None:
            return self._injected_response(inj)
        try:
            body = json.loads(raw or b"{}")
            assert isinstance(body, dict)
        except (ValueError, AssertionError):
            return 200, self._err(47001)
        error = self._check_credentials(body.get("grant_type"), body.get("appid"), body.get("secret"))
        if error:
            return 200, error
        force = body.get("force_refresh") in (True, "true", 1)
        current = self._tokens.get(self._stable) if self._stable else None
        if force:
            self.force_refreshes += 1
            if current is not None:
                current.invalidated = True
            current = None
        if current is None or self._token_state(current) != 0:
            current = self._new_token(stable=True)
            self._stable = current.value
        return 200, {"access_token": current.value, "expires_in": int(current.expires_at - self.now())}

    def _token_refusal(self, query: dict[str, str]) -> tuple[int, dict[str, Any]] | None:
        """WeChat's answer to a call with a missing, unknown or expired access token (else None)."""
        access_token = query.get("access_token")
        if not access_token:
            return 200, self._err(41001)
        state = self._token_state(self._tokens.get(access_token))
        return (200, self._err(state)) if state else None

    def _send(self, query: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
        self.send_attempts += 1
        inj = self._take_injection("send")
        if inj is not None:
            return self._injected_response(inj)
        refused = self._token_refusal(query)
        if refused is not None:
            return refused
        try:
            body = json.loads(raw.decode("utf-8"))
            assert isinstance(body, dict)
        except (ValueError, UnicodeDecodeError, AssertionError):
            return 200, self._err(47001)
        touser = body.get("touser")
        if not isinstance(touser, str) or not touser or len(touser) > 64 or not touser.isascii():
            return 200, self._err(40003)
        template_id = body.get("template_id")
        if not isinstance(template_id, str) or not template_id:
            return 200, self._err(40037)
        if self.templates is not None and template_id not in self.templates:
            return 200, self._err(40037)
        data = body.get("data")
        if not isinstance(data, dict) or not data:
            return 200, self._err(47003, "argument invalid! data is empty")
        for key, item in data.items():
            value = item.get("value") if isinstance(item, dict) else None
            if not isinstance(value, str) or not value:
                return 200, self._err(47003, f"argument invalid! data.{key}.value is empty")
            if len(value) > self.max_value_length:
                return 200, self._err(47003, f"argument invalid! data.{key}.value exceeds limit")
        url = body.get("url")
        if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
            return 200, self._err(47003, "argument invalid! url invalid")
        errcode = self._openid_errors.get(touser)
        if errcode:
            return 200, self._err(errcode)
        if self.daily_quota is not None and len(self.sent) >= self.daily_quota:
            return 200, self._err(45009)
        self._msgid += 1
        self.sent.append(
            {
                "touser": touser,
                "template_id": template_id,
                "url": url,
                "data": copy.deepcopy(data),
                "msgid": self._msgid,
                "access_token": query["access_token"],
                "client_msg_id": body.get("client_msg_id"),
            }
        )
        return 200, {"errcode": 0, "errmsg": "ok", "msgid": self._msgid}
