"""With the rebates plugin on, an order without ``use_rebate`` runs no more SQL than with it off."""

from __future__ import annotations

from typing import Any

from tests.conftest import TenantAPI, signup
from tests.rebates_support import program, shop
from tests.test_pricing_statements import counting


def _statements(buyer: TenantAPI, body: dict[str, Any]) -> int:
    buyer.ok("post", "/orders", body, status=201)  # warm caches (plugin states, …)
    counts = []
    for _ in range(3):
        with counting() as seen:
            buyer.ok("post", "/orders", body, status=201)
        counts.append(len(seen))
    return min(counts)


def test_placement_without_use_rebate_adds_no_statements(client: Any) -> None:
    body = {"lines": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}]}
    off, on = signup(client), signup(client)
    shop(off, plugins=())
    shop(on, plugins=("rebates",))
    program(on, "Q")
    assert _statements(off.buyer("C1"), body) == _statements(on.buyer("C1"), body)
