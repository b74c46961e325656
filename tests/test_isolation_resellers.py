"""Isolation between distributors of one brand: every ``/reseller/…`` route, called by one
distributor with another distributor's order numbers, store codes and SKUs, answers 404 (or
writes only into the caller's own namespace) and changes nothing of the other; stores outside
a distributor's tree see none of its orders or prices.

Routes are enumerated from the app, so a new reseller endpoint is probed automatically.
"""

from __future__ import annotations

import re
from typing import Any

from litestar.routes import HTTPRoute

from tests.channels_support import build_channel, stock_dist
from tests.conftest import PASSWORD, TenantAPI

PREFIX = "/t/{tenant_slug:str}/api/v1"


def reseller_routes(app: Any) -> list[tuple[str, str]]:
    out = []
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path.startswith(PREFIX + "/reseller"):
            out.extend((m, route.path) for m in sorted(route.methods - {"OPTIONS", "HEAD"}))
    return out


def snapshot(api: TenantAPI, number: str) -> Any:
    """Everything the distributor owns, as it sees it."""
    return (api.ok("get", "/reseller/customers"), api.ok("get", "/reseller/prices"), api.ok("get", "/reseller/stock"),
            api.ok("get", "/reseller/orders"), api.ok("get", f"/reseller/orders/{number}"))


def test_reseller_routes_with_another_distributors_ids(app: Any, client: Any, tenant: TenantAPI) -> None:
    ch = build_channel(tenant)
    stock_dist(ch, 10)
    ch.dist.ok("put", "/reseller/prices/TEA", {"price": "12.00", "customer": "STORE1"})
    number = ch.store.ok("post", "/orders", {"lines": [{"sku": "TEA", "qty": 2}]})["number"]
    before = snapshot(ch.dist, number)
    routes = reseller_routes(app)
    assert len(routes) >= 9
    values = {"number": number, "sku": "TEA", "code": "STORE1", "tenant_slug": tenant.slug}
    problems = []
    for method, path in routes:
        url = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "STORE1"), path)
        body = {"status": "approved", "price": "9.00", "customer": "STORE1", "on_hand": 0, "code": "STORE1",
                "name": "taken over", "password": PASSWORD}
        for caller in (ch.dist2, ch.store, ch.store2):
            resp = client.request(method, url, json=body if method != "GET" else None, headers=caller.headers)
            if "{" not in path.replace("{tenant_slug:str}", "") and caller is ch.dist2:
                # collections: the caller's own (empty of DIST's things), or a refusal for a taken code
                if resp.status_code >= 500 or number in resp.text or (method == "POST" and resp.status_code != 409):
                    problems.append(f"{method} {url} as DIST2 -> {resp.status_code} {resp.text[:100]}")
                continue
            if path.endswith("/reseller/stock/{sku:str}") and caller is ch.dist2:
                continue  # a count in DIST2's own warehouse (checked unchanged for DIST below)
            if resp.status_code != 404:
                problems.append(f"{method} {url} -> {resp.status_code} {resp.text[:100]}")
    assert not problems, "\n".join(problems)
    assert snapshot(ch.dist, number) == before
    # the other distributor's stores never see DIST's prices
    quote = ch.store2.ok("post", "/cart/quote", {"lines": [{"sku": "TEA", "qty": 1}]}, status=200)
    assert quote["lines"][0]["price_source"] != "reseller:customer"
