"""The list endpoints share one paging check (web/api/common.py ``paging``): a bad ``limit`` or
``offset`` is a 422 problem+json naming the field, and a page says how many rows there are in all."""

from __future__ import annotations

import pytest

from tests.conftest import TenantAPI


@pytest.mark.parametrize(("path", "field"), [
    ("/products?limit=0", "limit"),
    ("/products?limit=201", "limit"),
    ("/products?limit=abc", "limit"),
    ("/products?offset=-1", "offset"),
    ("/orders?limit=201", "limit"),
    ("/orders?offset=-1", "offset"),
    ("/orders?limit=162&offset=2317809108111682355331072", "offset"),  # found by Schemathesis: was a 500
    ("/products?offset=1000000001", "offset"),
    ("/wechat/messages?limit=201", "limit"),
    ("/wechat/messages?offset=-5", "offset"),
])
def test_bad_paging_is_a_problem_naming_the_field(tenant: TenantAPI, path: str, field: str) -> None:
    tenant.ok("put", "/plugins/wechat", {"enabled": True})
    resp = tenant.get(path)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in resp.json()["errors"]] == [field]


def test_a_page_counts_all_rows(tenant: TenantAPI) -> None:
    tenant.ok("put", "/plugins/wechat", {"enabled": True})
    for code in ("a", "b", "c"):
        tenant.ok("put", f"/brands/{code}", {"name": code.upper()})
        tenant.ok("put", f"/products/SKU-{code}", {"name": f"Tea {code}", "price": "10.00", "brand": code})
    page = tenant.ok("get", "/products?limit=2&offset=2")
    assert page["total"] == 3 and [i["sku"] for i in page["items"]] == ["SKU-c"]
    assert tenant.ok("get", "/wechat/messages?limit=1") == {"items": [], "total": 0}
    assert tenant.ok("get", "/brands") == [{"code": c, "name": c.upper()} for c in ("a", "b", "c")]
