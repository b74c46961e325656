"""Tenant isolation: every API route and page, called with tenant A's credentials
against tenant B's objects, answers 404 (or refuses) and changes nothing of B.

Routes are enumerated from the app, so a new endpoint is probed automatically.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from litestar.routes import HTTPRoute
from sqlalchemy import select

from qudao.core.asyncutil import run_sync
from qudao.core.db.base import Base, TenantOwned
from qudao.core.db.session import Database
from qudao.tenants.models import Tenant
from tests.conftest import PASSWORD, TenantAPI, signup

B_CODE = "BONLY"
B_SKU = "BONLY-SKU"


def build_b(b: TenantAPI) -> dict[str, Any]:
    """Tenant B with one of everything, reachable by B-only codes."""
    for plugin in [p["name"] for p in b.ok("get", "/plugins")]:
        b.ok("put", f"/plugins/{plugin}", {"enabled": True})
    b.ok("put", f"/brands/{B_CODE}", {"name": "B brand"})
    b.ok("put", f"/tiers/{B_CODE}", {"name": "B tier"})
    b.ok("put", f"/warehouses/{B_CODE}", {"name": "B wh"})
    b.ok("put", f"/products/{B_SKU}", {"name": "B secret product", "price": "9.99", "brand": B_CODE,
                                        "retail_price": "19.99"})
    b.ok("put", f"/warehouses/{B_CODE}/stock/{B_SKU}", {"on_hand": 50})
    b.ok("put", f"/customers/{B_CODE}", {"name": "B customer", "tier": B_CODE, "warehouse": B_CODE})
    b.ok("put", f"/prices/tier/{B_CODE}/{B_SKU}", {"price": "8.88"})
    b.ok("put", f"/prices/customer/{B_CODE}/{B_SKU}", {"price": "7.77"})
    if b.put(f"/brand-access/{B_CODE}", json={"brands": [B_CODE]}).status_code == 404:
        pass  # brand_isolation not installed in this run
    email = f"buyer@{b.slug}.test"
    b.ok("put", f"/customers/{B_CODE}/users/{email}", {"password": PASSWORD})
    buyer = b.as_user(email)
    order = buyer.ok("post", "/orders", {"lines": [{"sku": B_SKU, "qty": 2}]})
    return {"buyer_email": email, "order": order["number"], "buyer": buyer}


def dump_tenant(settings: Any, slug: str) -> str:
    """A digest of every tenant-owned row of one tenant (read through its own binding)."""
    from qudao.workers.broker import join

    join()  # jobs started by earlier calls settle first

    async def go() -> str:
        db = Database(settings.database_url, settings.db_app_role)
        try:
            async with db.sessions() as s:
                tid = await s.scalar(select(Tenant.id).where(Tenant.slug == slug))
            async with db.session(tid) as ts:
                h = hashlib.sha256()
                parts = []
                for mapper in sorted(Base.registry.mappers, key=lambda m: m.class_.__name__):
                    cls = mapper.class_
                    if not issubclass(cls, TenantOwned):
                        continue
                    # ORM attributes (not raw Table columns), so the tenant guard applies
                    cols = [getattr(cls, a.key) for a in mapper.column_attrs if a.key not in ("last_used_at",)]
                    rows = (await ts.execute(select(*cols))).all()
                    h.update(cls.__name__.encode())
                    for row in sorted(repr(tuple(r)) for r in rows):
                        h.update(row.encode())
                    parts.append(f"{cls.__name__}:{len(rows)}:{hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()[:8]}")
                return " ".join(parts)
        finally:
            await db.dispose()

    return run_sync(go())


def fill(path: str, values: dict[str, str]) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        return values.get(name, B_CODE)

    return re.sub(r"\{(\w+)(?::\w+)?\}", sub, path)


def tenant_routes(app: Any, prefix: str) -> list[tuple[str, str]]:
    out = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(prefix):
            continue
        for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
            out.append((method, route.path))
    return out


@pytest.fixture(scope="module")
def two_tenants(client: Any, test_settings: Any) -> tuple[TenantAPI, TenantAPI, dict[str, Any]]:
    a = signup(client)
    b = signup(client)
    for plugin in [p["name"] for p in a.ok("get", "/plugins")]:
        a.ok("put", f"/plugins/{plugin}", {"enabled": True})
    info = build_b(b)
    return a, b, info


def test_api_routes_with_b_ids_answer_404_and_change_nothing(app: Any, client: Any, test_settings: Any,
                                                             two_tenants: Any) -> None:
    a, b, info = two_tenants
    values = {"sku": B_SKU, "number": info["order"], "email": info["buyer_email"], "name": "credit"}
    before = dump_tenant(test_settings, b.slug)
    problems = []
    routes = tenant_routes(app, "/t/{tenant_slug:str}/api/v1")
    assert len(routes) > 25
    # PUTs upsert into the caller's own namespace: probe them with a throwaway tenant
    scratch = signup(client)
    for plugin in [p["name"] for p in scratch.ok("get", "/plugins")]:
        scratch.ok("put", f"/plugins/{plugin}", {"enabled": True})
    for method, path in sorted(routes, key=lambda r: r[0] == "PUT"):
        if "{" not in path.replace("{tenant_slug:str}", ""):
            continue  # collection routes are covered by the listing test below
        caller = scratch if method == "PUT" else a
        url = fill(path, {**values, "tenant_slug": caller.slug})
        if method == "PUT" and "/plugins/" in path:
            continue  # plugin names are global, not tenant data
        body: dict[str, Any] = {"name": "x", "price": "1.00", "password": PASSWORD, "on_hand": 1, "status": "cancelled",
                                "enabled": True, "limit": "10.00", "amount": "1.00", "brands": [], "kind": "special_price",
                                "method": "bank_transfer"}
        resp = client.request(method, url, json=body if method != "GET" else None, headers=caller.headers)
        if method == "PUT":
            # PUT is an upsert keyed by the tenant's own codes: it may create A's own object, never touch B's
            if resp.status_code >= 500:
                problems.append(f"{method} {url} -> {resp.status_code}")
            continue
        if resp.status_code != 404:
            problems.append(f"{method} {url} -> {resp.status_code} {resp.text[:120]}")
    assert not problems, "\n".join(problems)
    assert dump_tenant(test_settings, b.slug) == before


def test_a_token_on_b_path_is_404_everywhere(app: Any, client: Any, test_settings: Any, two_tenants: Any) -> None:
    a, b, info = two_tenants
    before = dump_tenant(test_settings, b.slug)
    values = {"sku": B_SKU, "number": info["order"], "email": info["buyer_email"], "name": "credit",
              "tenant_slug": b.slug}
    problems = []
    for method, path in tenant_routes(app, "/t/{tenant_slug:str}/api/v1"):
        url = fill(path, values)
        resp = client.request(method, url, json={"name": "x", "price": "1.00", "enabled": True,
                                                 "lines": [{"sku": B_SKU, "qty": 1}]} if method != "GET" else None,
                              headers=a.headers)
        if resp.status_code != 404:
            problems.append(f"{method} {url} -> {resp.status_code}")
    assert not problems, "\n".join(problems)
    assert dump_tenant(test_settings, b.slug) == before


def test_listings_and_checkout_never_show_b_data(client: Any, test_settings: Any, two_tenants: Any) -> None:
    a, b, info = two_tenants
    a.ok("put", "/customers/A1", {"name": "A one"})
    buyer_a = a.buyer("A2")
    for api in (a, buyer_a):
        for path in ("/products", f"/products?q={B_SKU}", "/orders"):
            text = api.get(path).text
            assert B_SKU not in text and "B secret" not in text and info["order"] not in text
    for path in ("/brands", "/tiers", "/customers", "/warehouses", "/credit"):
        resp = a.get(path)
        assert resp.status_code in (200, 404)
        assert B_CODE not in resp.text
    quote = buyer_a.ok("post", "/cart/quote", {"lines": [{"sku": B_SKU, "qty": 1}]})
    assert [v["code"] for v in quote["violations"]] == ["unknown_product"]
    assert buyer_a.post("/orders", json={"lines": [{"sku": B_SKU, "qty": 1}]}).status_code == 422
    # B's buyer credentials do not work on A's login
    resp = client.post(a.url("/auth/token"), json={"email": info["buyer_email"], "password": PASSWORD})
    assert resp.status_code == 401


def test_pages_with_a_session_on_b_show_nothing_of_b(app: Any, client: Any, test_settings: Any,
                                                     two_tenants: Any) -> None:
    a, b, info = two_tenants
    from litestar.testing import TestClient

    from qudao.core.plugins.host import get_host
    from qudao.web.app import create_app

    # its own app (and engine): a second event loop must not share the first app's pool
    # B's guest catalog is public on purpose; with it off nothing of B may show to A's session
    b.ok("put", "/plugins/guest_checkout", {"enabled": False})
    own_app = create_app(test_settings, get_host(), manage_broker=False)
    with TestClient(own_app, raise_server_exceptions=False) as browser:
        login = browser.get(f"/t/{a.slug}/login")
        csrf = browser.cookies.get("qd_csrf")
        resp = browser.post(f"/t/{a.slug}/login", data={"email": f"owner@{a.slug}.test", "password": PASSWORD,
                                                        "_csrf_token": csrf or ""}, follow_redirects=False)
        assert login.status_code == 200 and resp.status_code in (302, 303), resp.text[:300]
        problems = []
        values = {"sku": B_SKU, "number": info["order"], "email": info["buyer_email"], "name": "credit",
                  "tenant_slug": b.slug}
        for method, path in tenant_routes(app, "/t/{tenant_slug:str}"):
            if "/api/v1" in path or method != "GET" or "{path" in path:
                continue
            url = fill(path, values)
            page = browser.get(url, follow_redirects=False)
            if page.status_code == 200 and ("B secret" in page.text or info["order"] in page.text
                                            or B_CODE in page.text):
                problems.append(f"GET {url} showed B data")
            if page.status_code >= 500:
                problems.append(f"GET {url} -> {page.status_code}")
        assert not problems, "\n".join(problems)


def test_raw_query_without_tenant_sees_nothing(test_settings: Any, two_tenants: Any) -> None:
    """The data layer fails closed: no tenant bound → no tenant rows (ORM guard, and RLS on PostgreSQL)."""
    from sqlalchemy import text

    from qudao.core.catalog.models import Product

    async def go() -> tuple[int, int | None]:
        db = Database(test_settings.database_url, test_settings.db_app_role)
        try:
            async with db.session(None) as s:
                orm_rows = len((await s.scalars(select(Product))).all())
                raw = None
                if test_settings.database_url.startswith("postgresql"):
                    raw = (await s.execute(text("SELECT count(*) FROM products"))).scalar()
                return orm_rows, raw
        finally:
            await db.dispose()

    orm_rows, raw = run_sync(go())
    assert orm_rows == 0
    if test_settings.database_url.startswith("postgresql"):
        assert raw == 0
