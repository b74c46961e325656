"""Run `localstripe` (PyPI 1.15.x) on 127.0.0.1 in a subprocess for tests.

localstripe's own ``start()`` listens on all interfaces (``::``) on a fixed
port and reloads/persists its state in ``/tmp/localstripe.pickle``.  This
module instead starts a child Python process that binds a socket on
``127.0.0.1:0`` (a free port chosen by the kernel), reports the port, disables
the pickle persistence (every start is a fresh, private state that no other
test run can see or clobber) and serves ``localstripe.server.app`` with
``aiohttp.web.run_app(app, sock=...)``.

Compatibility patches (``compat=True``, the default) make localstripe closer to
real Stripe where the app depends on it:

* ``PaymentIntent`` accepts ``transfer_group`` (localstripe 1.15 rejects it with
  "Unexpected transfer_group"); it is echoed on the intent and copied to its
  charge, as Stripe does for "separate charges and transfers".
* ``PaymentIntent.latest_charge`` is returned as an id string unless expanded
  (``expand[]=latest_charge``), like Stripe; unpatched localstripe always
  returns the whole charge object.

Usage::

    with LocalStripe() as ls:
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": ls.base_url})
        ls.register_webhook("wh1", "http://127.0.0.1:8000/stripe/webhook", "whsec_test")
        pi = client.v1.payment_intents.create(
            {"amount": 1000, "currency": "eur", "payment_method": "pm_card_visa"})
        client.v1.payment_intents.confirm(pi.id)

localstripe knows the special test payment methods ``pm_card_visa``,
``pm_card_visa_chargeDeclined`` and ``pm_card_chargeCustomerFail``.  Webhooks
are signed (``Stripe-Signature``) and sent about one second after the event.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import weakref
from typing import Any

__all__ = ["LocalStripe", "LocalStripeError"]

_READY_PREFIX = "LOCALSTRIPE_PORT="


class LocalStripeError(RuntimeError):
    pass


class LocalStripe:
    """A private localstripe instance on ``127.0.0.1:<free port>``.

    ``base_url`` is set by :meth:`start`; use it as the ``"api"`` base address
    of ``stripe.StripeClient``.  ``log_path`` holds the child's stderr.
    """

    def __init__(self, *, compat: bool = True, startup_timeout: float = 20.0, api_key: str = "sk_test_x"):
        self.compat = compat
        self.startup_timeout = startup_timeout
        self.api_key = api_key
        self.base_url = ""
        self.port = 0
        self.log_path = ""
        self._proc: subprocess.Popen[str] | None = None
        self._log_file: Any = None

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> LocalStripe:
        if self._proc is not None:
            return self
        fd, self.log_path = tempfile.mkstemp(prefix="localstripe-", suffix=".log")
        self._log_file = os.fdopen(fd, "w")
        cmd = [sys.executable, os.path.abspath(__file__), "--child"]
        if self.compat:
            cmd.append("--compat")
        self._proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            stdin=subprocess.DEVNULL,
            text=True,
            close_fds=True,
        )
        # Safety net if the test process forgets stop() (normal interpreter exit).
        self._finalizer = weakref.finalize(self, _terminate, self._proc)
        try:
            self.port = self._read_port()
            self.base_url = f"http://127.0.0.1:{self.port}"
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            _terminate(proc)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> LocalStripe:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _read_port(self) -> int:
        assert self._proc is not None and self._proc.stdout is not None
        result: list[str] = []
        reader = threading.Thread(
            target=lambda: result.append(self._proc.stdout.readline()),  # type: ignore[union-attr]
            daemon=True,
        )
        reader.start()
        reader.join(self.startup_timeout)
        line = result[0].strip() if result else ""
        if not line.startswith(_READY_PREFIX):
            raise LocalStripeError(f"localstripe did not start: {line!r}; see {self.log_path}: {self.log()}")
        return int(line[len(_READY_PREFIX) :])

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                raise LocalStripeError(f"localstripe exited early; log: {self.log()}")
            try:
                self.request("GET", "/v1/customers?limit=1")
                return
            except (OSError, urllib.error.URLError) as exc:
                last_error = exc
                time.sleep(0.05)
        raise LocalStripeError(f"localstripe did not answer on {self.base_url}: {last_error}")

    def log(self) -> str:
        """The child's stderr so far (for failure messages)."""
        if not self.log_path:
            return ""
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as fh:
                return fh.read()[-4000:]
        except OSError:
            return ""

    # -- helpers -------------------------------------------------------------

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Raw JSON request to the instance (authenticated with ``api_key``)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.api_key}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
        return json.loads(raw) if raw.strip() else None

    def register_webhook(
        self, webhook_id: str, url: str, secret: str, events: list[str] | None = None
    ) -> None:
        """``POST /_config/webhooks/{id}``: deliver (signed with ``secret``) every
        event, or only ``events``, to ``url``."""
        body: dict[str, Any] = {"url": url, "secret": secret}
        if events is not None:
            body["events"] = list(events)
        self.request("POST", f"/_config/webhooks/{webhook_id}", body)

    def flush(self) -> None:
        """Drop every stored object (``DELETE /_config/data``); webhooks stay."""
        self.request("DELETE", "/_config/data")


def _terminate(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    if proc.stdout is not None:
        proc.stdout.close()


# ---------------------------------------------------------------------------
# Child process
# ---------------------------------------------------------------------------


def _apply_compat_patches() -> None:
    from localstripe.resources import PaymentIntent

    original_init = PaymentIntent.__init__
    original_create_charge = PaymentIntent._create_charge
    original_export = PaymentIntent._export

    def __init__(self: Any, *args: Any, transfer_group: str | None = None, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.transfer_group = transfer_group

    def _create_charge(self: Any, *args: Any, **kwargs: Any) -> None:
        original_create_charge(self, *args, **kwargs)
        if self.latest_charge is not None:
            self.latest_charge.transfer_group = getattr(self, "transfer_group", None)

    def _export(self: Any, expand: Any = None) -> Any:
        obj = original_export(self, expand=expand)
        wanted = any(p == "latest_charge" or p.startswith("latest_charge.") for p in (expand or []))
        charge = obj.get("latest_charge")
        if isinstance(charge, dict) and not wanted:
            obj["latest_charge"] = charge["id"]
        return obj

    PaymentIntent.__init__ = __init__  # type: ignore[method-assign]
    PaymentIntent._create_charge = _create_charge  # type: ignore[method-assign]
    PaymentIntent._export = _export  # type: ignore[method-assign]


def _exit_with_parent() -> None:
    """Stop serving if the test process dies without calling stop()."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _child_main(compat: bool) -> None:
    import socket

    from aiohttp import web
    from localstripe.resources import Store

    # Fresh, private state: never read or write /tmp/localstripe.pickle.
    Store.try_load_from_disk = lambda self: None  # type: ignore[method-assign]
    Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]

    import localstripe.server as server

    if compat:
        _apply_compat_patches()

    _exit_with_parent()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sys.stdout.write(f"{_READY_PREFIX}{port}\n")
    sys.stdout.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    web.run_app(server.app, sock=sock, print=None, access_log=None)


if __name__ == "__main__" and "--child" in sys.argv:
    _child_main(compat="--compat" in sys.argv)
