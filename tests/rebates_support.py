"""Shared set-up for the rebates tests: a shop, a buyer, programs, orders walked to received."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import TenantAPI

QUARTER_TIERS = [{"from": "500000.00", "percent": "2"}, {"from": "1000000.00", "percent": "3"}]


def shop(t: TenantAPI, *, prices: dict[str, str] | None = None, plugins: tuple[str, ...] = ("rebates",)) -> None:
    for name in plugins:
        t.ok("put", f"/plugins/{name}", {"enabled": True})
    t.ok("put", "/brands/TEA", {"name": "Tea"})
    t.ok("put", "/warehouses/WH", {"name": "Main"})
    for sku, price in (prices or {"A": "1000.00", "B": "250.00", "X": "10.00"}).items():
        t.ok("put", f"/products/{sku}", {"name": f"Product {sku}", "price": price,
                                         **({"brand": "TEA"} if sku != "X" else {})})
        t.ok("put", f"/warehouses/WH/stock/{sku}", {"on_hand": 1_000_000})


def program(t: TenantAPI, code: str = "Q", **fields: Any) -> dict[str, Any]:
    body = {"code": code, "name": f"Program {code}", "basis": "amount", "period": "quarter", "method": "tiered",
            "tier_mode": "retroactive", "tiers": QUARTER_TIERS, "valid_from": "2020-01-01",
            "max_deduct_percent": "10", **fields}
    return t.ok("post", "/rebates/programs", body, status=201)


def receive(t: TenantAPI, buyer: TenantAPI, number: str) -> None:
    for status in ("approved", "picking", "shipped", "delivered"):
        t.ok("post", f"/orders/{number}/status", {"status": status})
    buyer.ok("post", f"/orders/{number}/status", {"status": "received"})


def order(buyer: TenantAPI, lines: dict[str, int], **extra: Any) -> dict[str, Any]:
    return buyer.ok("post", "/orders", {"lines": [{"sku": s, "qty": q} for s, q in lines.items()], **extra},
                    status=201)


class Clock:
    """Moves the rebates plugin's clock (the app runs in this process)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    def set(self, when: str) -> None:
        moment = datetime.fromisoformat(when).replace(tzinfo=UTC)
        self.monkeypatch.setattr("qudao.plugins.rebates.clock.now", lambda: moment)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)
