"""Rebate programs through the API: create, read, replace, and every kind of bad input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TenantAPI
from tests.rebates_support import QUARTER_TIERS, program, shop


def test_off_means_404(tenant: TenantAPI) -> None:
    assert tenant.get("/rebates/programs").status_code == 404
    assert tenant.post("/rebates/programs", json={}).status_code == 404


def test_create_read_replace(tenant: TenantAPI) -> None:
    shop(tenant)
    tenant.ok("put", "/tiers/GOLD", {"name": "Gold"})
    made = program(tenant, "Q26", brands=["TEA"], customer_tiers=["GOLD"], regions=["/广东/"],
                   customer_types=["l1_distributor"])
    assert made["tiers"] == QUARTER_TIERS and made["max_deduct_percent"] == "10"
    assert made["regions"] == ["广东"] and made["customer_tiers"] == ["GOLD"]
    assert tenant.ok("get", "/rebates/programs/Q26") == made
    assert [p["code"] for p in tenant.ok("get", "/rebates/programs")] == ["Q26"]
    again = tenant.post("/rebates/programs", json={**made, "tier_mode": "retroactive"})
    assert again.status_code == 409
    per_unit = {"name": "Per case", "basis": "quantity", "period": "month", "method": "per_unit", "per_unit": "1.00",
                "skus": ["A"], "valid_from": "2026-01-01"}
    assert tenant.put("/rebates/programs/CASE", json=per_unit).status_code == 201
    changed = tenant.put("/rebates/programs/CASE", json={**per_unit, "per_unit": "1.50"})
    assert changed.status_code == 200 and changed.json()["per_unit"] == "1.50"
    assert tenant.get("/rebates/programs/NOPE").status_code == 404


BAD: list[tuple[dict[str, Any], str]] = [
    ({"tiers": [{"from": "100.00", "percent": "2"}, {"from": "100.00", "percent": "3"}]}, "tiers"),
    ({"tiers": [{"from": "900.00", "percent": "2"}, {"from": "100.00", "percent": "3"}]}, "tiers"),
    ({"tiers": [{"from": "100.00", "percent": "0"}]}, "tiers[0].percent"),
    ({"tiers": [{"from": "100.00", "percent": "101"}]}, "tiers[0].percent"),
    ({"tiers": [{"from": 100.5, "percent": "1"}]}, "tiers[0].from"),
    ({"tiers": []}, "tiers"),
    ({"max_deduct_percent": "101"}, "max_deduct_percent"),
    ({"max_deduct_percent": "-1"}, "max_deduct_percent"),
    ({"max_deduct_percent": 10.5}, "max_deduct_percent"),
    ({"period": "fortnight"}, "period"),
    ({"basis": "weight"}, "basis"),
    ({"valid_from": "2026-13-01"}, "valid_from"),
    ({"valid_until": "2019-01-01"}, "valid_until"),
    ({"period": "custom"}, "valid_until"),
    ({"skus": ["NOPE"]}, "skus[0]"),
    ({"customers": ["NOPE"]}, "customers[0]"),
    ({"customer_types": ["emperor"]}, "customer_types[0]"),
    ({"method": "per_unit", "tiers": None, "per_unit": "1.00"}, "basis"),
    ({"method": "per_unit", "tiers": None, "basis": "quantity", "per_unit": "0"}, "per_unit"),
    ({"colour": "red"}, "colour"),
    ({"code": "bad code!"}, "code"),
]


@pytest.mark.parametrize(("change", "field"), BAD)
def test_bad_programs_are_422_and_store_nothing(tenant: TenantAPI, change: dict[str, Any], field: str) -> None:
    shop(tenant)
    body = {"code": "Q", "name": "Q", "basis": "amount", "period": "quarter", "method": "tiered",
            "tiers": QUARTER_TIERS, "valid_from": "2020-01-01", **change}
    body = {k: v for k, v in body.items() if v is not None}
    resp = tenant.post("/rebates/programs", json=body)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in resp.json()["errors"]], resp.text
    assert tenant.ok("get", "/rebates/programs") == []


def test_garbage_bodies_never_500(tenant: TenantAPI) -> None:
    shop(tenant)
    for raw in [b"", b"[]", b"{", b"null", b'{"tiers": "x"}', b'{"tiers": [1, 2]}', b'{"name": 5}']:
        resp = tenant.client.post(tenant.url("/rebates/programs"), content=raw,
                                  headers={**tenant.headers, "content-type": "application/json"})
        assert resp.status_code == 422, (raw, resp.text)


def test_buyers_cannot_manage_programs(tenant: TenantAPI) -> None:
    shop(tenant)
    buyer = tenant.buyer("C1")
    assert buyer.get("/rebates/programs").status_code == 403
    assert buyer.post("/rebates/programs", json={"code": "X"}).status_code == 403


def test_rebate_paths_are_in_openapi(client: Any) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]
    wanted = ["/rebates/programs", "/rebates/programs/{code}", "/rebates/progress/{customer}",
              "/rebates/periods/close", "/rebates/entries", "/rebates/entries/{entry_id}/approve",
              "/rebates/entries/{entry_id}/reject", "/rebates/accounts/{customer}"]
    found = {w: [p for p in paths if p.endswith(w)] for w in wanted}
    assert all(found.values()), found


def test_odd_ids_and_codes_are_404_or_422_never_500(tenant: TenantAPI) -> None:
    shop(tenant)
    for path in ["/rebates/entries/99999999999999999999999/approve", "/rebates/entries/-5/approve",
                 "/rebates/entries/0/reject"]:
        assert tenant.post(path, json={"reason": "x"}).status_code == 404, path
    assert tenant.get("/rebates/programs/" + "x" * 300).status_code == 404
    assert tenant.get("/rebates/accounts/%00").status_code == 404
    assert tenant.get("/rebates/progress/" + "y" * 100).status_code == 404
    assert tenant.put("/rebates/programs/bad%00code", json={"name": "x"}).status_code == 422
    assert tenant.get("/rebates/entries?program=%00").status_code == 422
    assert tenant.get("/rebates/entries?offset=99999999999999999999").status_code in (400, 422)
    resp = tenant.post("/rebates/programs", json={"code": "Z", "name": "Z", "period": "month", "tiers": [
        {"from": "1.00", "percent": "1"}], "valid_from": "2026-01-01", "skus": ["A\x00"]})
    assert resp.status_code == 422
