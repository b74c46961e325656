"""A brand with two distributors (each with stores) for the channel tests."""

from __future__ import annotations

from dataclasses import dataclass

from tests.conftest import TenantAPI

FLOW = ("approved", "picking", "shipped", "delivered")


@dataclass
class Channel:
    brand: TenantAPI
    dist: TenantAPI
    store: TenantAPI
    dist2: TenantAPI
    store2: TenantAPI


def build_channel(brand: TenantAPI) -> Channel:
    brand.ok("put", "/warehouses/HQ", {"name": "HQ"})
    brand.ok("put", "/products/TEA", {"name": "Green tea", "price": "10.00", "floor_price": "8.00"})
    brand.ok("put", "/products/RICE", {"name": "Rice", "price": "5.00"})
    for sku in ("TEA", "RICE"):
        brand.ok("put", f"/warehouses/HQ/stock/{sku}", {"on_hand": 100})
    dist = brand.buyer("DIST", region="浙江", can_resell=True, type="l1_distributor")
    store = brand.buyer("STORE1", parent="DIST", region="浙江/杭州")
    dist2 = brand.buyer("DIST2", region="江苏", can_resell=True, type="l1_distributor")
    store2 = brand.buyer("STORE2", parent="DIST2", region="江苏/南京")
    return Channel(brand, dist, store, dist2, store2)


def deliver(staff: TenantAPI, number: str, path: str = "/orders") -> None:
    for status in FLOW:
        staff.ok("post", f"{path}/{number}/status", {"status": status}, status=200)


def stock_dist(ch: Channel, qty: int = 20, sku: str = "TEA") -> str:
    """The distributor buys ``qty`` from the brand and receives them; returns the brand order number."""
    number = ch.dist.ok("post", "/orders", {"lines": [{"sku": sku, "qty": qty}], "seller": "brand"})["number"]
    deliver(ch.brand, number)
    ch.dist.ok("post", f"/orders/{number}/status", {"status": "received"}, status=200)
    return number
