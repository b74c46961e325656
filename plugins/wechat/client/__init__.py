"""Small WeChat official-account client: access token + template messages.

This package's names below are its public face (``from qudao.plugins.wechat.client import …``);
the modules hold: ``wechat_client`` the client, ``tokens`` the token stores, ``results`` the
classified answers, ``wire`` the request/answer format, ``signature`` callback signatures.

Depends only on the standard library and httpx.  The base URL is configurable
(tests point it at ``tests.doubles.wechat.FakeWeChat``); production uses
``DEFAULT_BASE_URL``.

* Tokens come from ``POST /cgi-bin/stable_token`` (does not rotate on every
  call, so several workers fetching at once do not invalidate each other) and
  are cached in a pluggable :class:`TokenStore` (one token per official
  account; the app can plug in a DB/Redis store shared by all workers).
* :meth:`WeChatClient.send_template` never raises for API or network errors:
  it returns a :class:`SendResult` whose ``status`` tells the caller what to
  do: ``"sent"``; ``"permanent"`` (do not retry: user not following 43004, bad
  openid 40003, bad template 40037, bad arguments 47003/47001); ``"retry_later"``
  (daily quota 45009 – ``retry_after`` is the time until midnight in China –,
  or the account's credentials/IP whitelist are wrong and need a human); or
  ``"retry"`` (network error, HTTP 5xx, system busy, a token still refused
  after one refresh-and-retry, anything unknown).
* On a token error (40001/40014/42001) the client fetches a fresh token and
  retries the send exactly once.
* :meth:`WeChatClient.call_async` posts any JSON API call the same way (cached token,
  one refresh-and-retry on a token error) and raises :class:`WeChatError` for an error;
  :meth:`WeChatClient.create_qr_ticket_async` creates a temporary parametric QR code
  (``/cgi-bin/qrcode/create``, ``QR_STR_SCENE``).
"""

from qudao.plugins.wechat.client.results import (
    PERMANENT_ERRCODES,
    RETRY_LATER_ERRCODES,
    TOKEN_ERRCODES,
    QrTicket,
    SendResult,
    WeChatError,
    classify_errcode,
)
from qudao.plugins.wechat.client.signature import signature_for, verify_signature
from qudao.plugins.wechat.client.tokens import MemoryTokenStore, TokenStore
from qudao.plugins.wechat.client.wechat_client import WeChatClient
from qudao.plugins.wechat.client.wire import DEFAULT_BASE_URL, MAX_VALUE_LENGTH, QR_EXPIRE_SECONDS

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_VALUE_LENGTH",
    "QR_EXPIRE_SECONDS",
    "PERMANENT_ERRCODES",
    "RETRY_LATER_ERRCODES",
    "TOKEN_ERRCODES",
    "MemoryTokenStore",
    "QrTicket",
    "SendResult",
    "TokenStore",
    "WeChatClient",
    "WeChatError",
    "classify_errcode",
    "signature_for",
    "verify_signature",
]
