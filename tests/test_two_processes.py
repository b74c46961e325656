"""Stateless web: two real ``qudao serve`` processes on one database (and Redis when the
run has one) serve the same buyer. A page session started on A is signed in on B, a cart
filled on B shows on A, and API tokens and idempotency keys work across both.

Each server is the real CLI command. It is started through a small bootstrap that first
installs the test run's plugin host (built-ins only, honouring ``QUDAO_TEST_PLUGINS``), so
third-party plugins installed on the machine never leak into the test run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from qudao.testing.served import free_port, stop_group, wait_healthy
from tests.conftest import PASSWORD, TenantAPI

ROOT = Path(__file__).resolve().parent.parent
BOOT = (
    "import sys; "
    "from tests.conftest import builtin_host; "
    "from qudao.core.plugins.host import set_host; "
    "set_host(builtin_host()); "
    "from qudao.web.cli import main; "
    "main(sys.argv[1:])"
)
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


class Server:
    def __init__(self, name: str, env: dict[str, str], logdir: Path) -> None:
        self.name, self.port = name, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = logdir / f"server-{name}.log"
        self._out = self.log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", BOOT, "serve", "--no-migrate", "--no-demo", "--workers", "1", "--host", "127.0.0.1",
             "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, deadline: float) -> None:
        if (why := wait_healthy(self.base, self.proc, max(0.0, deadline - time.monotonic()))) is not None:
            raise AssertionError(f"server {self.name} {why}:\n{self.output()}")

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        stop_group(self.proc)
        self._out.close()


@pytest.fixture(scope="module")
def two_servers(test_settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    tmp_path = tmp_path_factory.mktemp("two-processes")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUDAO_")}
    for key in ("QUDAO_TEST_PLUGINS",):
        if os.environ.get(key):
            env[key] = os.environ[key]
    env.update({
        "QUDAO_DATABASE_URL": test_settings.database_url,
        "QUDAO_SECRET_KEY": test_settings.secret_key,
        "QUDAO_VAR_DIR": str(tmp_path / "var"),
        "QUDAO_DB_APP_ROLE": test_settings.db_app_role or "",
        "PYTHONPATH": str(ROOT),
    })
    if test_settings.redis_url:
        env["QUDAO_REDIS_URL"] = test_settings.redis_url
    servers: list[Server] = []
    try:
        for name in ("A", "B"):
            servers.append(Server(name, env, tmp_path))
        deadline = time.monotonic() + 90
        for server in servers:
            server.wait_ready(deadline)
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()
        for server in servers:
            assert server.proc.poll() is not None


def csrf_token(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def setup_shop(tenant: TenantAPI) -> str:
    tenant.ok("put", "/products/TWO-1", {"name": "Two-process tea", "price": "12.00"})
    tenant.ok("put", "/warehouses/WH", {"name": "Main"})
    tenant.ok("put", "/warehouses/WH/stock/TWO-1", {"on_hand": 100})
    tenant.ok("put", "/customers/TWO-C", {"name": "Twin Stores Ltd", "warehouse": "WH"})
    email = f"buyer-{uuid.uuid4().hex[:6]}@two.test"
    tenant.ok("put", f"/customers/TWO-C/users/{email}", {"password": PASSWORD})
    return email


def test_page_session_and_cart_work_across_processes(two_servers: tuple[Server, Server],
                                                     tenant: TenantAPI) -> None:
    a, b = two_servers
    email = setup_shop(tenant)
    store = f"/t/{tenant.slug}"
    with httpx.Client(base_url=a.base, timeout=30) as on_a, httpx.Client(base_url=b.base, timeout=30) as on_b:
        # signed out on B to begin with
        anon = on_b.get(f"{store}/")
        assert anon.status_code == 200 and "Twin Stores Ltd" not in anon.text

        # sign in through the form on A (CSRF token from A's page and cookie)
        form = on_a.get(f"{store}/login")
        assert form.status_code == 200
        resp = on_a.post(f"{store}/login", data={"_csrf_token": csrf_token(form.text), "email": email,
                                                 "password": PASSWORD, "next": ""})
        assert resp.status_code in (301, 302, 303), (resp.status_code, resp.text[:500])
        assert "qd_session" in on_a.cookies

        # the same cookies on B: signed in there too
        on_b.cookies = httpx.Cookies(on_a.cookies)
        home_b = on_b.get(f"{store}/")
        assert home_b.status_code == 200
        account_b = on_b.get(f"{store}/account")  # sign-out lives in the account tab
        assert account_b.status_code == 200, account_b.status_code
        assert "Twin Stores Ltd" in account_b.text and f"{store}/logout" in account_b.text

        # a cart filled on B (with B's CSRF form) is the cart seen on A
        added = on_b.post(f"{store}/cart/add", data={"_csrf_token": csrf_token(home_b.text), "sku": "TWO-1",
                                                     "qty": "3"})
        assert added.status_code in (200, 302, 303), (added.status_code, added.text[:500])
        cart_a = on_a.get(f"{store}/cart")
        assert cart_a.status_code == 200, cart_a.text[:500]
        assert "Two-process tea" in cart_a.text and "TWO-1" in cart_a.text

        # signing out on A ends the session on B as well
        out = on_a.post(f"{store}/logout", data={"_csrf_token": csrf_token(cart_a.text)})
        assert out.status_code in (302, 303)
        after = on_b.get(f"{store}/account")
        assert after.status_code in (302, 303) and "/login" in after.headers["location"], after.status_code


def test_api_token_and_idempotency_across_processes(two_servers: tuple[Server, Server],
                                                    tenant: TenantAPI) -> None:
    a, b = two_servers
    email = setup_shop(tenant)
    api = f"/t/{tenant.slug}/api/v1"
    with httpx.Client(timeout=30) as http:
        token = http.post(f"{a.base}{api}/auth/token", json={"email": email, "password": PASSWORD})
        assert token.status_code == 200, token.text
        auth = {"Authorization": f"Bearer {token.json()['token']}"}

        products = http.get(f"{b.base}{api}/products", headers=auth)
        assert products.status_code == 200
        assert [i["sku"] for i in products.json()["items"]] == ["TWO-1"]

        key = uuid.uuid4().hex
        body = {"lines": [{"sku": "TWO-1", "qty": 4}]}
        first = http.post(f"{b.base}{api}/orders", json=body, headers={**auth, "Idempotency-Key": key})
        assert first.status_code == 201, first.text
        again = http.post(f"{a.base}{api}/orders", json=body, headers={**auth, "Idempotency-Key": key})
        assert again.status_code == 200, again.text
        assert again.json()["number"] == first.json()["number"]

        seen = http.get(f"{a.base}{api}/orders/{first.json()['number']}", headers=auth)
        assert seen.status_code == 200 and seen.json()["status"] == "submitted"
        stock = http.get(f"{a.base}{api}/stock/TWO-1", headers={"Authorization": f"Bearer {tenant.token}"})
        assert stock.status_code == 200
        assert [(s["warehouse"], s["reserved"]) for s in stock.json()] == [("WH", 4)]

        # both processes answer readiness for the same backing services
        for server in (a, b):
            ready = http.get(f"{server.base}/readyz")
            assert ready.status_code == 200, ready.text


def test_a_catalog_change_on_one_process_shows_on_the_other(two_servers: tuple[Server, Server],
                                                            tenant: TenantAPI) -> None:
    """Each process caches the buyer's listing (core/catalog/listing.py); a product changed
    through B is gone from A's very next page, with no time-to-live to wait out."""
    a, b = two_servers
    email = setup_shop(tenant)
    tenant.ok("put", "/products/TWO-2", {"name": "Second tea", "price": "9.00"})
    api = f"/t/{tenant.slug}/api/v1"
    with httpx.Client(timeout=30) as http:
        token = http.post(f"{a.base}{api}/auth/token", json={"email": email, "password": PASSWORD})
        auth = {"Authorization": f"Bearer {token.json()['token']}"}

        def listed(server: Server) -> tuple[int, list[str]]:
            page = http.get(f"{server.base}{api}/products", headers=auth).json()
            return page["total"], [i["sku"] for i in page["items"]]

        assert listed(a) == (2, ["TWO-1", "TWO-2"]) == listed(a)  # cached on A now
        staff = {"Authorization": f"Bearer {tenant.token}"}
        changed = http.put(f"{b.base}{api}/products/TWO-2", headers=staff,
                           json={"name": "Second tea", "price": "9.00", "active": False})
        assert changed.status_code == 200, changed.text
        assert listed(a) == (1, ["TWO-1"])
        assert listed(b) == (1, ["TWO-1"])
