"""Tenants are reached by host ({slug}.{QUDAO_BASE_DOMAIN}) as well as by path."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from litestar.testing import TestClient

from qudao.core.plugins.host import get_host
from qudao.web.app import create_app
from tests.conftest import TenantAPI


def test_subdomain_reaches_the_tenant(test_settings: Any, client: Any, tenant: TenantAPI,
                                      other_tenant: TenantAPI) -> None:
    app = create_app(replace(test_settings, base_domain="qudao.test"), get_host(), manage_broker=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        by_host = c.get("/api/v1/plugins", headers={**tenant.headers, "Host": f"{tenant.slug}.qudao.test"})
        assert by_host.status_code == 200 and {p["name"] for p in by_host.json()} >= {"credit"}
        # the same token on the other brand's host is 404, as on its path
        other = c.get("/api/v1/plugins", headers={**tenant.headers, "Host": f"{other_tenant.slug}.qudao.test"})
        assert other.status_code == 404
        login = c.get("/login", headers={"Host": f"{tenant.slug}.qudao.test"})
        assert login.status_code == 200 and "password" in login.text
        # path routing keeps working with a base domain set
        assert c.get(f"/t/{tenant.slug}/api/v1/plugins", headers=tenant.headers).status_code == 200
        assert c.get("/healthz", headers={"Host": "qudao.test"}).status_code == 200
