"""The template-message client for one official account (sync and async methods)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from qudao.plugins.wechat.client.results import (
    TOKEN_ERRCODES,
    QrTicket,
    SendResult,
    WeChatError,
    classify_errcode,
)
from qudao.plugins.wechat.client.tokens import TokenStore
from qudao.plugins.wechat.client.wire import (
    DEFAULT_BASE_URL,
    MAX_VALUE_LENGTH,
    QR_CREATE_PATH,
    QR_EXPIRE_SECONDS,
    _checked,
    _decode,
    _json,
    _maybe_await,
    _qr_request,
    _qr_ticket,
    _truncate,
)


class WeChatClient:
    """Template-message client for one official account.

    ``WeChatClient(base_url, appid, secret, token_store)``; optional keyword
    arguments: ``timeout`` (seconds), ``http_client`` / ``async_http_client``
    (bring your own httpx clients; otherwise one sync client is created lazily
    and an async client per call), ``cache_key`` (default
    ``"wechat:access_token:{appid}"``), ``token_margin`` (refresh this many
    seconds before WeChat's expiry), ``max_value_length`` (20).

    Use sync (``send_template``) or async (``send_template_async``); close with
    ``close()`` / ``with`` when the client created its own httpx client.
    """

    def __init__(
        self,
        base_url: str,
        appid: str,
        secret: str,
        token_store: TokenStore,
        *,
        timeout: float = 10.0,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        cache_key: str | None = None,
        token_margin: float = 300.0,
        max_value_length: int = MAX_VALUE_LENGTH,
    ) -> None:
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.appid = appid
        self._secret = secret
        self.token_store = token_store
        self.timeout = timeout
        self.cache_key = cache_key or f"wechat:access_token:{appid}"
        self.token_margin = token_margin
        self.max_value_length = max_value_length
        self._http = http_client
        self._owns_http = http_client is None
        self._ahttp = async_http_client

    def __repr__(self) -> str:  # never show the secret
        return f"WeChatClient(base_url={self.base_url!r}, appid={self.appid!r})"

    # -- lifecycle -----------------------------------------------------------

    def close(self) -> None:
        if self._http is not None and self._owns_http:
            self._http.close()
            self._http = None

    def __enter__(self) -> WeChatClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(timeout=self.timeout)
        return self._http

    # -- shared pieces -------------------------------------------------------

    def _token_request(self, force_refresh: bool) -> tuple[str, dict[str, Any]]:
        return f"{self.base_url}/cgi-bin/stable_token", {
            "grant_type": "client_credential",
            "appid": self.appid,
            "secret": self._secret,
            "force_refresh": force_refresh,
        }

    def _ttl(self, expires_in: Any) -> float:
        try:
            seconds = float(expires_in)
        except (TypeError, ValueError):
            seconds = 7200.0
        return max(seconds - self.token_margin, seconds / 2, 0.0)

    @staticmethod
    def _token_from(payload: dict[str, Any]) -> str:
        token = payload.get("access_token")
        if not token:
            errcode = payload.get("errcode")
            raise WeChatError(
                errcode if isinstance(errcode, int) else None,
                str(payload.get("errmsg") or "no access_token in response"),
            )
        return str(token)

    def _send_request(
        self,
        openid: str,
        template_id: str,
        data: Mapping[str, Any],
        url: str | None,
        client_msg_id: str | None,
    ) -> tuple[str, bytes]:
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": _truncate(data, self.max_value_length),
        }
        if url:
            body["url"] = url
        if client_msg_id:
            body["client_msg_id"] = client_msg_id
        endpoint = f"{self.base_url}/cgi-bin/message/template/send"
        # ensure_ascii=False: WeChat expects raw UTF-8, not \\u escapes.
        return endpoint, json.dumps(body, ensure_ascii=False).encode("utf-8")

    @staticmethod
    def _with_token(token: str, body: bytes) -> dict[str, Any]:
        """The request arguments of a JSON POST that carries the access token."""
        return {"params": {"access_token": token}, "content": body,
                "headers": {"Content-Type": "application/json; charset=utf-8"}}

    @staticmethod
    def _errcode(payload: dict[str, Any]) -> int:
        errcode = payload.get("errcode", 0)
        try:
            return int(errcode)
        except (TypeError, ValueError):
            return -1

    @staticmethod
    def _result(payload: dict[str, Any], errcode: int) -> SendResult:
        errmsg = str(payload.get("errmsg") or "")
        result = classify_errcode(errcode, errmsg)
        if result.status == "sent":
            msgid = payload.get("msgid")
            return SendResult("sent", 0, errmsg or "ok", msgid=int(msgid) if msgid is not None else None)
        return result

    @staticmethod
    def _failure(exc: Exception) -> SendResult:
        if isinstance(exc, WeChatError):
            if exc.errcode is None:
                return SendResult("retry", None, exc.errmsg)
            return classify_errcode(exc.errcode, exc.errmsg)
        return SendResult("retry", None, f"{type(exc).__name__}: {exc}")

    # -- sync API ------------------------------------------------------------

    def _fetch_token(self, force_refresh: bool) -> str:
        endpoint, body = self._token_request(force_refresh)
        payload = _decode(self._client().post(endpoint, json=body))
        token = self._token_from(payload)
        self.token_store.set(self.cache_key, token, self._ttl(payload.get("expires_in")))
        return token

    def get_access_token(self, *, refresh: bool = False, rejected: str | None = None) -> str:
        """The cached token, or a new one from ``stable_token``.

        ``refresh=True`` skips the cache; if WeChat then hands back the token
        we know was ``rejected``, it is fetched again with ``force_refresh``.
        Raises :class:`WeChatError` or ``httpx.HTTPError``.
        """
        if not refresh:
            cached = self.token_store.get(self.cache_key)
            if cached:
                return cached
        token = self._fetch_token(force_refresh=False)
        if rejected is not None and token == rejected:
            token = self._fetch_token(force_refresh=True)
        return token

    def _post_send(self, token: str, endpoint: str, body: bytes) -> dict[str, Any]:
        return _decode(self._client().post(endpoint, **self._with_token(token, body)))

    def send_template(self, openid: str, template_id: str, data: Mapping[str, Any],
                      url: str | None = None, *, client_msg_id: str | None = None) -> SendResult:
        """Send a template message; values are truncated to 20 characters.

        ``data`` maps template keys to strings (``{"thing1": "Order 42"}``).
        Never raises for API/network errors: see :class:`SendResult`.
        """
        try:
            endpoint, body = self._send_request(openid, template_id, data, url, client_msg_id)
            payload, errcode = self._call_with_token(endpoint, body)
            return self._result(payload, errcode)
        except (WeChatError, httpx.HTTPError) as exc:
            return self._failure(exc)

    def _call_with_token(self, endpoint: str, body: bytes) -> tuple[dict[str, Any], int]:
        """POST ``body`` with the cached token; on a token error refresh it and retry once."""
        token = self.get_access_token()
        payload = self._post_send(token, endpoint, body)
        errcode = self._errcode(payload)
        if errcode in TOKEN_ERRCODES:
            token = self.get_access_token(refresh=True, rejected=token)
            payload = self._post_send(token, endpoint, body)
            errcode = self._errcode(payload)
        return payload, errcode

    def call(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Sync :meth:`call_async`."""
        try:
            payload, errcode = self._call_with_token(f"{self.base_url}{path}", _json(body))
        except httpx.HTTPError as exc:
            raise WeChatError(None, f"{type(exc).__name__}: {exc}") from None
        return _checked(payload, errcode)

    def create_qr_ticket(self, scene: str, expire_seconds: int = QR_EXPIRE_SECONDS) -> QrTicket:
        """Sync :meth:`create_qr_ticket_async`."""
        return _qr_ticket(self.call(QR_CREATE_PATH, _qr_request(scene, expire_seconds)))

    # -- async API -----------------------------------------------------------

    async def _apost(self, url: str, **kwargs: Any) -> httpx.Response:
        if self._ahttp is not None:
            return await self._ahttp.post(url, **kwargs)
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            return await client.post(url, **kwargs)

    async def _fetch_token_async(self, force_refresh: bool) -> str:
        endpoint, body = self._token_request(force_refresh)
        payload = _decode(await self._apost(endpoint, json=body))
        token = self._token_from(payload)
        await _maybe_await(self.token_store.set(self.cache_key, token, self._ttl(payload.get("expires_in"))))
        return token

    async def get_access_token_async(self, *, refresh: bool = False, rejected: str | None = None) -> str:
        """Async :meth:`get_access_token` (the store may be sync or async)."""
        if not refresh:
            cached = await _maybe_await(self.token_store.get(self.cache_key))
            if cached:
                return str(cached)
        token = await self._fetch_token_async(force_refresh=False)
        if rejected is not None and token == rejected:
            token = await self._fetch_token_async(force_refresh=True)
        return token

    async def _post_send_async(self, token: str, endpoint: str, body: bytes) -> dict[str, Any]:
        return _decode(await self._apost(endpoint, **self._with_token(token, body)))

    async def send_template_async(self, openid: str, template_id: str, data: Mapping[str, Any],
                                  url: str | None = None, *,
                                  client_msg_id: str | None = None) -> SendResult:
        """Async :meth:`send_template`."""
        try:
            endpoint, body = self._send_request(openid, template_id, data, url, client_msg_id)
            payload, errcode = await self._call_with_token_async(endpoint, body)
            return self._result(payload, errcode)
        except (WeChatError, httpx.HTTPError) as exc:
            return self._failure(exc)

    async def _call_with_token_async(self, endpoint: str, body: bytes) -> tuple[dict[str, Any], int]:
        """Async :meth:`_call_with_token`."""
        token = await self.get_access_token_async()
        payload = await self._post_send_async(token, endpoint, body)
        errcode = self._errcode(payload)
        if errcode in TOKEN_ERRCODES:
            token = await self.get_access_token_async(refresh=True, rejected=token)
            payload = await self._post_send_async(token, endpoint, body)
            errcode = self._errcode(payload)
        return payload, errcode

    async def call_async(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST ``body`` (JSON) to ``{base_url}{path}?access_token=…`` and return the answer.

        Uses the cached token; a token error (40001/40014/42001) refreshes it and retries
        once. Raises :class:`WeChatError`: with WeChat's ``errcode`` for an error answer
        (also when fetching the token failed, e.g. 40125 bad secret), with ``errcode`` ``None``
        for network errors, HTTP errors and unreadable answers.
        """
        try:
            payload, errcode = await self._call_with_token_async(f"{self.base_url}{path}", _json(body))
        except httpx.HTTPError as exc:
            raise WeChatError(None, f"{type(exc).__name__}: {exc}") from None
        return _checked(payload, errcode)

    async def create_qr_ticket_async(self, scene: str, expire_seconds: int = QR_EXPIRE_SECONDS) -> QrTicket:
        """A temporary QR code whose scan pushes ``scene`` (``QR_STR_SCENE``, at most 64
        characters) to the server callback (``qrscene_<scene>`` on subscribe, ``<scene>`` on
        SCAN). Raises :class:`WeChatError` (see :meth:`call_async`)."""
        return _qr_ticket(await self.call_async(QR_CREATE_PATH, _qr_request(scene, expire_seconds)))
