"""A small in-process Stripe Connect test double.

localstripe has no Connect support (accounts, account links, transfers,
transfer reversals) and ignores idempotency keys, so this module provides an
HTTP server speaking that subset of the Stripe API the way stripe-python
expects it:

* form-encoded request bodies with nested keys (``metadata[order]=42``),
* Stripe-shaped JSON errors (``{"error": {"type": ..., "message": ...}}``),
* idempotency keys enforced like Stripe: the same key with the same
  parameters replays the first response byte for byte (with the header
  ``Idempotent-Replayed: true``); the same key with other parameters, or on
  another endpoint, is a 400 ``idempotency_error``.  As on Stripe, a request
  that failed parameter validation, or that never executed (injected
  failure), stores no result, so it may be retried with the same key.

Failure injection lets tests simulate an unavailable API (``fail_next``) and a
lost response after the operation was committed (``drop_after_commit_next``),
where only a retry with the same idempotency key avoids a duplicate.

Usage::

    with StripeConnectDouble() as double:
        client = stripe.StripeClient(
            "sk_test_x", base_addresses={"api": double.base_url})
        acct = client.v1.accounts.create({"type": "express"})
        double.complete_onboarding(acct.id)
        client.v1.transfers.create(
            {"amount": 500, "currency": "eur", "destination": acct.id,
             "transfer_group": "order_1"},
            options={"idempotency_key": "order:1:transfer:acme"})
        assert double.transfers[0]["amount"] == 500

Only the standard library is used.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = [
    "StripeConnectDouble",
    "StripeDoubleError",
    "encode_stripe_form",
    "parse_stripe_form",
]

_ALNUM = string.ascii_letters + string.digits
_ACCOUNT_TYPES = ("express", "standard", "custom")
_LINK_TYPES = ("account_onboarding", "account_update")


def _new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(length))


# ---------------------------------------------------------------------------
# Form decoding (Stripe's bracket notation)
# ---------------------------------------------------------------------------


def _split_key(key: str) -> list[str]:
    """``a[b][c]`` -> ``["a", "b", "c"]``; ``a[]`` -> ``["a", ""]``."""
    match = re.match(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$", key)
    if not match:
        return [key]
    return [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _listify(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


def parse_stripe_form(raw: str) -> dict[str, Any]:
    """Decode a Stripe form body / query string into nested dicts and lists.

    ``metadata[order]=1&expand[0]=x&items[0][price]=p`` becomes
    ``{"metadata": {"order": "1"}, "expand": ["x"], "items": [{"price": "p"}]}``.
    Values stay strings, as Stripe receives them.
    """
    root: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        parts = _split_key(key)
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "":  # ``a[]=x``: append
                part = str(len(node))
            if last:
                node[part] = value
            else:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = {}
                    node[part] = child
                node = child
    return _listify(root)


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class StripeDoubleError(Exception):
    """An API error rendered in Stripe's JSON shape.

    ``store`` says whether the result is kept for the idempotency key (Stripe
    keeps results of requests that started executing, not of parameter
    validation failures).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        store: bool = True,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.store = store

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            err["code"] = self.code
            err["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            err["param"] = self.param
        return {"error": err}


def _missing(param: str) -> StripeDoubleError:
    return StripeDoubleError(
        400, f"Missing required param: {param}.", code="parameter_missing", param=param, store=False
    )


def _invalid(param: str, message: str | None = None, code: str | None = None) -> StripeDoubleError:
    return StripeDoubleError(
        400, message or f"Invalid value for {param}.", code=code, param=param, store=False
    )


def _only(params: dict[str, Any], *allowed: str) -> None:
    """Stripe rejects parameters an endpoint does not know."""
    for name in params:
        if name not in allowed:
            raise StripeDoubleError(
                400,
                f"Received unknown parameter: {name}",
                code="parameter_unknown",
                param=name,
                store=False,
            )


def _no_such(kind: str, ident: str, param: str | None = None) -> StripeDoubleError:
    return StripeDoubleError(
        404 if param is None else 400,
        f"No such {kind}: '{ident}'",
        code="resource_missing",
        param=param or "id",
    )


def _positive_int(params: dict[str, Any], name: str, *, required: bool) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise _missing(name)
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise _invalid(name, f"Invalid integer: {raw}", "parameter_invalid_integer") from None
    if value <= 0:
        raise _invalid(name, "This value must be greater than or equal to 1.", "amount_too_small")
    return value


def _string(params: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise _missing(name)
        return None
    if not isinstance(raw, str):
        raise _invalid(name)
    return raw


def _metadata(params: dict[str, Any], current: dict[str, str] | None = None) -> dict[str, str]:
    result = dict(current or {})
    raw = params.get("metadata")
    if raw is None:
        return result
    if raw == "":  # ``metadata=`` clears everything
        return {}
    if not isinstance(raw, dict):
        raise _invalid("metadata")
    for key, value in raw.items():
        if not isinstance(value, str):
            raise _invalid(f"metadata[{key}]")
        if len(key) > 40:
            raise _invalid(f"metadata[{key}]", "Metadata keys can have up to 40 characters.")
        if len(value) > 500:
            raise _invalid(f"metadata[{key}]", "Metadata values can have up to 500 characters.")
        if value == "":
            result.pop(key, None)
        else:
            result[key] = value
    if len(result) > 50:
        raise _invalid("metadata", "Metadata can have up to 50 keys.")
    return result


def _limit(params: dict[str, Any]) -> int:
    raw = params.get("limit")
    if raw in (None, ""):
        return 10
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise _invalid("limit", f"Invalid integer: {raw}", "parameter_invalid_integer") from None
    if not 1 <= value <= 100:
        raise _invalid("limit", "This value must be between 1 and 100.")
    return value


def _paginate(items: list[dict[str, Any]], params: dict[str, Any], url: str) -> dict[str, Any]:
    """``items`` newest first; Stripe cursor pagination by object id."""
    limit = _limit(params)
    after = _string(params, "starting_after")
    before = _string(params, "ending_before")
    ids = [item["id"] for item in items]
    if after:
        if after not in ids:
            raise _no_such("object", after, "starting_after")
        items = items[ids.index(after) + 1 :]
        page = items[:limit]
        has_more = len(items) > limit
    elif before:
        if before not in ids:
            raise _no_such("object", before, "ending_before")
        items = items[: ids.index(before)]
        page = items[-limit:]
        has_more = len(items) > limit
    else:
        page = items[:limit]
        has_more = len(items) > limit
    return {"object": "list", "data": page, "has_more": has_more, "url": url}


# ---------------------------------------------------------------------------
# Failure injection and idempotency bookkeeping
# ---------------------------------------------------------------------------


@dataclass
class _Rule:
    path_prefix: str
    method: str | None
    times: int
    status: int = 500
    error: dict[str, Any] | None = None
    mode: str = "close"

    def matches(self, method: str, path: str) -> bool:
        return (
            self.times > 0
            and path.startswith(self.path_prefix)
            and (self.method is None or self.method == method)
        )


@dataclass
class _Saved:
    fingerprint: tuple[str, str, str]
    status: int
    body: bytes
    headers: list[tuple[str, str]]
    request_id: str
    created: float = field(default_factory=time.time)


@dataclass
class _Response:
    status: int
    body: bytes
    headers: list[tuple[str, str]]
    drop: bool = False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "StripeConnectDouble/1.0"

    def _serve(self) -> None:
        double: StripeConnectDouble = self.server.double  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        response = double._handle(self.command, self.path, dict(self.headers.items()), raw)
        if response.drop:
            # The operation happened but the client never hears about it.
            self.close_connection = True
            return
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


# ---------------------------------------------------------------------------
# The double
# ---------------------------------------------------------------------------


class StripeConnectDouble:
    """Stripe Connect subset on ``127.0.0.1:<free port>`` in a daemon thread.

    Parameters:
        require_onboarding: refuse transfers to accounts whose ``transfers``
            capability is not active (as Stripe does).  Activate with
            :meth:`complete_onboarding` or by opening an account link URL.
        require_api_key: require ``Authorization: Bearer sk_...``.
    """

    def __init__(self, *, require_onboarding: bool = True, require_api_key: bool = True) -> None:
        self.require_onboarding = require_onboarding
        self.require_api_key = require_api_key
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        self.reset()

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> StripeConnectDouble:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.double = self  # type: ignore[attr-defined]
        self._server = server
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="stripe-connect-double",
            daemon=True,
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

    def __enter__(self) -> StripeConnectDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test controls -------------------------------------------------------

    def reset(self) -> None:
        """Forget all objects, idempotency keys, injected failures and logs."""
        with self._lock:
            self._accounts: dict[str, dict[str, Any]] = {}
            self._links: dict[str, dict[str, Any]] = {}
            self._transfers: dict[str, dict[str, Any]] = {}
            self._reversals: dict[str, dict[str, Any]] = {}
            self._idempotency: dict[tuple[str, str, str], _Saved] = {}
            self._fail_rules: list[_Rule] = []
            self._drop_rules: list[_Rule] = []
            self.requests: list[dict[str, Any]] = []

    def fail_next(
        self,
        path_prefix: str,
        status: int = 500,
        times: int = 1,
        *,
        method: str | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        """The next ``times`` matching requests fail with ``status`` *without*
        executing (nothing is created, no idempotent result is stored).

        ``error`` overrides the ``{"type", "message", ...}`` error object.
        """
        with self._lock:
            self._fail_rules.append(
                _Rule(path_prefix, method.upper() if method else None, times, status, error)
            )

    def drop_after_commit_next(
        self,
        path_prefix: str,
        times: int = 1,
        *,
        method: str | None = None,
        mode: str = "close",
        status: int = 500,
    ) -> None:
        """The next ``times`` matching requests *execute* (and store their
        idempotent result) but the response is lost: the connection is closed
        without a response (``mode="close"``) or ``status`` is returned
        instead (``mode="status"``).  A retry with the same idempotency key
        then replays the committed result."""
        if mode not in ("close", "status"):
            raise ValueError("mode must be 'close' or 'status'")
        with self._lock:
            self._drop_rules.append(
                _Rule(path_prefix, method.upper() if method else None, times, status, None, mode)
            )

    def expire_idempotency_keys(self) -> None:
        """Simulate the 24 h+ window after which Stripe forgets keys."""
        with self._lock:
            self._idempotency.clear()

    def complete_onboarding(self, account_id: str) -> dict[str, Any]:
        """Mark an account as fully onboarded (charges/payouts/transfers on)."""
        with self._lock:
            account = self._accounts.get(account_id)
            if account is None:
                raise KeyError(account_id)
            account["details_submitted"] = True
            account["charges_enabled"] = True
            account["payouts_enabled"] = True
            caps = account["capabilities"]
            caps["transfers"] = "active"
            for name in caps:
                caps[name] = "active"
            account["requirements"] = {"currently_due": [], "disabled_reason": None}
            return copy.deepcopy(account)

    # -- introspection -------------------------------------------------------

    @property
    def accounts(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(list(self._accounts.values()))

    @property
    def transfers(self) -> list[dict[str, Any]]:
        """All transfers, oldest first (copies)."""
        with self._lock:
            return copy.deepcopy(list(self._transfers.values()))

    @property
    def reversals(self) -> list[dict[str, Any]]:
        """All transfer reversals, oldest first (copies)."""
        with self._lock:
            return copy.deepcopy(list(self._reversals.values()))

    # -- request handling ----------------------------------------------------

    def _handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> _Response:
        hdrs = {k.lower(): v for k, v in headers.items()}
        split = urlsplit(target)
        path = split.path
        request_id = _new_id("req_", 14)
        log: dict[str, Any] = {
            "method": method,
            "path": path,
            "idempotency_key": hdrs.get("idempotency-key"),
            "replayed": False,
        }
        with self._lock:
            self.requests.append(log)
        try:
            if method == "POST":
                params = parse_stripe_form(raw.decode("utf-8"))
            else:
                params = parse_stripe_form(split.query)
        except UnicodeDecodeError:
            return self._finish(log, self._error(StripeDoubleError(400, "Invalid request body."), request_id))

        if path.startswith("/_double/"):
            return self._finish(log, self._double_route(method, path))

        api_key = self._api_key(hdrs.get("authorization", ""))
        if self.require_api_key and api_key is None:
            return self._finish(
                log,
                self._error(
                    StripeDoubleError(
                        401,
                        "You did not provide an API key. You need to provide your API key "
                        "in the Authorization header, using Bearer auth.",
                    ),
                    request_id,
                ),
            )

        with self._lock:
            rule = self._take(self._fail_rules, method, path)
        if rule is not None:
            log["injected"] = "fail"
            return self._finish(log, self._injected_error(rule, request_id))

        key = hdrs.get("idempotency-key") if method == "POST" else None
        scope = (api_key or "", hdrs.get("stripe-account", ""), key or "")
        fingerprint = (method, path, json.dumps(params, sort_keys=True))
        with self._lock:
            if key:
                saved = self._idempotency.get(scope)
                if saved is not None:
                    if saved.fingerprint != fingerprint:
                        what = (
                            "parameters"
                            if saved.fingerprint[:2] == fingerprint[:2]
                            else "endpoint and parameters"
                        )
                        err = StripeDoubleError(
                            400,
                            f"Keys for idempotent requests can only be used with the same {what} "
                            f"they were first used with. Try using a key other than '{key}' if you "
                            "meant to execute a different request.",
                            type="idempotency_error",
                        )
                        return self._finish(log, self._error(err, request_id))
                    log["replayed"] = True
                    replay_headers = [(n, v) for n, v in saved.headers if n.lower() != "request-id"] + [
                        ("Request-Id", request_id),
                        ("Original-Request", saved.request_id),
                        ("Idempotent-Replayed", "true"),
                    ]
                    response = _Response(saved.status, saved.body, replay_headers)
                    return self._finish(log, self._maybe_drop(response, method, path, log))

            store = True
            try:
                status, payload = self._route(method, path, params)
                response = self._json(status, payload, request_id)
            except StripeDoubleError as exc:
                store = exc.store
                response = self._error(exc, request_id)
            if key:
                response.headers.append(("Idempotency-Key", key))
                if store and response.status < 500:
                    self._idempotency[scope] = _Saved(
                        fingerprint, response.status, response.body, list(response.headers), request_id
                    )
            return self._finish(log, self._maybe_drop(response, method, path, log))

    def _maybe_drop(self, response: _Response, method: str, path: str, log: dict[str, Any]) -> _Response:
        rule = self._take(self._drop_rules, method, path)
        if rule is None:
            return response
        log["injected"] = "drop"
        if rule.mode == "close":
            return _Response(0, b"", [], drop=True)
        err = StripeDoubleError(
            rule.status, "An unknown error occurred (response lost, injected).", type="api_error"
        )
        return self._error(err, response_header_value(response, "Request-Id") or _new_id("req_", 14))

    @staticmethod
    def _finish(log: dict[str, Any], response: _Response) -> _Response:
        log["status"] = None if response.drop else response.status
        return response

    @staticmethod
    def _take(rules: list[_Rule], method: str, path: str) -> _Rule | None:
        for rule in rules:
            if rule.matches(method, path):
                rule.times -= 1
                if rule.times <= 0:
                    rules.remove(rule)
                return rule
        return None

    @staticmethod
    def _api_key(authorization: str) -> str | None:
        scheme, _, value = authorization.partition(" ")
        if scheme == "Bearer":
            key = value.strip()
        elif scheme == "Basic":
            try:
                key = base64.b64decode(value).decode("utf-8").split(":", 1)[0]
            except ValueError:
                return None
        else:
            return None
        return key if key.startswith(("sk_", "rk_")) and len(key) > 3 else None

    @staticmethod
    def _json(status: int, payload: Any, request_id: str) -> _Response:
        body = (json.dumps(payload, indent=2) + "\n").encode("utf-8")
        headers = [
            ("Content-Type", "application/json"),
            ("Request-Id", request_id),
            ("Stripe-Version", "2025-01-01.double"),
        ]
        return _Response(status, body, headers)

    def _error(self, exc: StripeDoubleError, request_id: str) -> _Response:
        return self._json(exc.status, exc.body(), request_id)

    def _injected_error(self, rule: _Rule, request_id: str) -> _Response:
        if rule.error is not None:
            return self._json(rule.status, {"error": rule.error}, request_id)
        if rule.status >= 500:
            exc = StripeDoubleError(rule.status, "An unknown error occurred (injected).", type="api_error")
        elif rule.status == 429:
            exc = StripeDoubleError(
                429, "Too many requests (injected).", code="rate_limit", type="invalid_request_error"
            )
        else:
            exc = StripeDoubleError(rule.status, "Injected error.")
        return self._error(exc, request_id)

    # -- routing -------------------------------------------------------------

    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, Any]:
        routes: list[tuple[str, str, Callable[..., Any]]] = [
            ("POST", r"/v1/accounts", self._create_account),
            ("GET", r"/v1/accounts", self._list_accounts),
            ("GET", r"/v1/accounts/(?P<id>[^/]+)", self._get_account),
            ("POST", r"/v1/accounts/(?P<id>[^/]+)", self._update_account),
            ("POST", r"/v1/account_links", self._create_account_link),
            ("POST", r"/v1/transfers", self._create_transfer),
            ("GET", r"/v1/transfers", self._list_transfers),
            ("GET", r"/v1/transfers/(?P<id>[^/]+)", self._get_transfer),
            ("POST", r"/v1/transfers/(?P<id>[^/]+)", self._update_transfer),
            ("POST", r"/v1/transfers/(?P<id>[^/]+)/reversals", self._create_reversal),
            ("GET", r"/v1/transfers/(?P<id>[^/]+)/reversals", self._list_reversals),
            ("GET", r"/v1/transfers/(?P<id>[^/]+)/reversals/(?P<rid>[^/]+)", self._get_reversal),
        ]
        path_matched = False
        for route_method, pattern, func in routes:
            match = re.fullmatch(pattern, path)
            if match:
                path_matched = True
                if route_method == method:
                    params = {k: v for k, v in params.items() if k != "expand"}
                    return 200, func(params, **match.groupdict())
        if path_matched:
            raise StripeDoubleError(405, f"Method {method} not allowed on {path}.", store=False)
        raise StripeDoubleError(404, f"Unrecognized request URL ({method}: {path}).", store=False)

    def _double_route(self, method: str, path: str) -> _Response:
        match = re.fullmatch(r"/_double/onboard/(?P<link>[^/]+)", path)
        if method != "GET" or not match:
            return self._error(StripeDoubleError(404, "Not found."), _new_id("req_", 14))
        with self._lock:
            link = self._links.get(match.group("link"))
            if link is None:
                return self._error(StripeDoubleError(404, "Unknown account link."), _new_id("req_", 14))
            self.complete_onboarding(link["account"])
            location = link["return_url"]
        return _Response(302, b"", [("Location", location), ("Content-Type", "text/plain")])

    # accounts ----------------------------------------------------------------

    def _create_account(self, params: dict[str, Any]) -> dict[str, Any]:
        _only(
            params,
            "type",
            "country",
            "email",
            "business_type",
            "capabilities",
            "metadata",
            "default_currency",
            "business_profile",
            "settings",
            "tos_acceptance",
            "controller",
        )
        acct_type = _string(params, "type", required=True)
        if acct_type not in _ACCOUNT_TYPES:
            raise _invalid("type", f"Invalid type: must be one of {', '.join(_ACCOUNT_TYPES)}")
        requested = params.get("capabilities") or {}
        if not isinstance(requested, dict):
            raise _invalid("capabilities")
        capabilities = {
            name: "inactive"
            for name, spec in requested.items()
            if isinstance(spec, dict) and str(spec.get("requested", "")).lower() == "true"
        }
        country = (_string(params, "country") or "US").upper()
        account = {
            "id": _new_id("acct_", 16),
            "object": "account",
            "type": acct_type,
            "country": country,
            "default_currency": (_string(params, "default_currency") or "usd").lower(),
            "email": _string(params, "email"),
            "business_type": _string(params, "business_type"),
            "capabilities": capabilities,
            "charges_enabled": False,
            "payouts_enabled": False,
            "details_submitted": False,
            "requirements": {
                "currently_due": ["external_account", "tos_acceptance.date"],
                "disabled_reason": "requirements.past_due",
            },
            "metadata": _metadata(params),
            "created": int(time.time()),
            "livemode": False,
        }
        self._accounts[account["id"]] = account
        return account

    def _find_account(self, ident: str, param: str | None = None) -> dict[str, Any]:
        account = self._accounts.get(ident)
        if account is None:
            if param is None:
                raise StripeDoubleError(
                    404,
                    f"The provided key does not have access to account '{ident}' "
                    "(or that account does not exist).",
                    code="resource_missing",
                    param="account",
                )
            raise _no_such("account", ident, param)
        return account

    def _get_account(self, params: dict[str, Any], id: str) -> dict[str, Any]:
        return self._find_account(id)

    def _update_account(self, params: dict[str, Any], id: str) -> dict[str, Any]:
        _only(params, "metadata", "email", "business_profile", "settings")
        account = self._find_account(id)
        metadata = _metadata(params, account["metadata"])
        email = _string(params, "email")
        account["metadata"] = metadata
        if email is not None:
            account["email"] = email
        return account

    def _list_accounts(self, params: dict[str, Any]) -> dict[str, Any]:
        _only(params, "limit", "starting_after", "ending_before", "created")
        return _paginate(list(reversed(self._accounts.values())), params, "/v1/accounts")

    def _create_account_link(self, params: dict[str, Any]) -> dict[str, Any]:
        _only(params, "account", "type", "return_url", "refresh_url", "collect", "collection_options")
        account_id = _string(params, "account", required=True)
        link_type = _string(params, "type", required=True)
        if link_type not in _LINK_TYPES:
            raise _invalid("type", f"Invalid type: must be one of {', '.join(_LINK_TYPES)}")
        return_url = _string(params, "return_url", required=True)
        refresh_url = _string(params, "refresh_url", required=True)
        self._find_account(account_id, "account")
        link_id = _new_id("", 20)
        created = int(time.time())
        self._links[link_id] = {
            "account": account_id,
            "return_url": return_url,
            "refresh_url": refresh_url,
        }
        return {
            "object": "account_link",
            "created": created,
            "expires_at": created + 300,
            "url": f"{self.base_url}/_double/onboard/{link_id}",
        }

    # transfers ---------------------------------------------------------------

    def _find_transfer(self, ident: str) -> dict[str, Any]:
        transfer = self._transfers.get(ident)
        if transfer is None:
            raise _no_such("transfer", ident)
        return transfer

    def _create_transfer(self, params: dict[str, Any]) -> dict[str, Any]:
        _only(
            params,
            "amount",
            "currency",
            "destination",
            "transfer_group",
            "source_transaction",
            "description",
            "metadata",
            "source_type",
        )
        amount = _positive_int(params, "amount", required=True)
        currency = _string(params, "currency", required=True)
        destination = _string(params, "destination", required=True)
        transfer_group = _string(params, "transfer_group")
        source_transaction = _string(params, "source_transaction")
        description = _string(params, "description")
        metadata = _metadata(params)
        assert currency is not None and destination is not None
        if not re.fullmatch(r"[A-Za-z]{3}", currency):
            raise _invalid("currency", f"Invalid currency: {currency.lower()}.")
        if source_transaction is not None and not source_transaction.startswith(("ch_", "py_")):
            raise _no_such("charge", source_transaction, "source_transaction")
        account = self._find_account(destination, "destination")
        if self.require_onboarding and account["capabilities"].get("transfers") != "active":
            raise StripeDoubleError(
                400,
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                code="insufficient_capabilities_for_transfer",
                param="destination",
            )
        transfer_id = _new_id("tr_")
        transfer = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "balance_transaction": _new_id("txn_"),
            "created": int(time.time()),
            "currency": currency.lower(),
            "description": description,
            "destination": destination,
            "destination_payment": _new_id("py_"),
            "livemode": False,
            "metadata": metadata,
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 0,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
            "reversed": False,
            "source_transaction": source_transaction,
            "source_type": "card",
            "transfer_group": transfer_group,
        }
        self._transfers[transfer_id] = transfer
        return transfer

    def _list_transfers(self, params: dict[str, Any]) -> dict[str, Any]:
        _only(params, "transfer_group", "destination", "limit", "starting_after", "ending_before", "created")
        group = _string(params, "transfer_group")
        destination = _string(params, "destination")
        items = [
            t
            for t in reversed(self._transfers.values())
            if (group is None or t["transfer_group"] == group)
            and (destination is None or t["destination"] == destination)
        ]
        return _paginate(items, params, "/v1/transfers")

    def _get_transfer(self, params: dict[str, Any], id: str) -> dict[str, Any]:
        return self._find_transfer(id)

    def _update_transfer(self, params: dict[str, Any], id: str) -> dict[str, Any]:
        _only(params, "metadata", "description")
        transfer = self._find_transfer(id)
        metadata = _metadata(params, transfer["metadata"])
        description = _string(params, "description")
        transfer["metadata"] = metadata
        if description is not None:
            transfer["description"] = description
        return transfer

    def _create_reversal(self, params: dict[str, Any], id: str) -> dict[str, Any]:
        _only(params, "amount", "metadata", "description", "refund_application_fee")
        transfer = self._find_transfer(id)
        amount = _positive_int(params, "amount", required=False)
        metadata = _metadata(params)
        description = _string(params, "description")
        remaining = transfer["amount"] - transfer["amount_reversed"]
        if remaining <= 0:
            raise StripeDoubleError(400, f"Transfer {id} has already been fully reversed.", param="amount")
        if amount is None:
            amount = remaining
        if amount > remaining:
            raise StripeDoubleError(
                400,
                f"Reversal amount ({amount}) is greater than the amount remaining on "
                f"transfer {id} that can be reversed ({remaining}).",
                param="amount",
            )
        reversal = {
            "id": _new_id("trr_"),
            "object": "transfer_reversal",
            "amount": amount,
            "balance_transaction": _new_id("txn_"),
            "created": int(time.time()),
            "currency": transfer["currency"],
            "description": description,
            "destination_payment_refund": _new_id("pyr_"),
            "metadata": metadata,
            "source_refund": None,
            "transfer": id,
        }
        self._reversals[reversal["id"]] = reversal
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] >= transfer["amount"]
        listing = transfer["reversals"]
        listing["data"] = [reversal, *listing["data"]][:10]
        listing["total_count"] += 1
        listing["has_more"] = listing["total_count"] > len(listing["data"])
        return reversal

    def _list_reversals(self, params: dict[str, Any], id: str) -> dict[str, Any]:
        _only(params, "limit", "starting_after", "ending_before")
        self._find_transfer(id)
        items = [r for r in reversed(self._reversals.values()) if r["transfer"] == id]
        return _paginate(items, params, f"/v1/transfers/{id}/reversals")

    def _get_reversal(self, params: dict[str, Any], id: str, rid: str) -> dict[str, Any]:
        self._find_transfer(id)
        reversal = self._reversals.get(rid)
        if reversal is None or reversal["transfer"] != id:
            raise _no_such("transfer_reversal", rid)
        return reversal


def response_header_value(response: _Response, name: str) -> str | None:
    for header, value in response.headers:
        if header.lower() == name.lower():
            return value
    return None


def encode_stripe_form(params: dict[str, Any]) -> str:
    """Inverse of :func:`parse_stripe_form` (handy for raw-HTTP tests)."""
    pairs: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}[{k}]" if prefix else str(k), v)
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                walk(f"{prefix}[{i}]", v)
        elif isinstance(value, bool):
            pairs.append((prefix, "true" if value else "false"))
        elif value is not None:
            pairs.append((prefix, str(value)))

    walk("", params)
    return urlencode(pairs)
