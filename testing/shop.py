"""A ready brand: an owner, a warehouse with a product in stock, a customer and its buyer login."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qudao.testing.api import PASSWORD, TenantAPI, signup


@dataclass
class Shop:
    """``staff`` is the owner's API (``staff_email``), ``buyer`` the customer ``C1``'s (``buyer_email``);
    both sign in to pages with ``PASSWORD``. ``sku`` costs ``price`` and has ``stock`` on hand in ``W1``."""

    staff: TenantAPI
    buyer: TenantAPI
    staff_email: str
    buyer_email: str
    sku: str = "P-1"
    price: str = "100.00"
    stock: int = 100
    password: str = PASSWORD

    @property
    def slug(self) -> str:
        return self.staff.slug

    def enable(self, plugin: str, **settings: Any) -> Any:
        return self.staff.enable(plugin, **settings)

    def quote(self, qty: int = 1, **extra: Any) -> Any:
        return self.buyer.quote({self.sku: qty}, **extra)

    def place_order(self, qty: int = 1, **extra: Any) -> Any:
        """The buyer orders ``qty`` of the product; returns the order (201)."""
        return self.buyer.place_order({self.sku: qty}, **extra)

    def set_status(self, number: str, status: str, note: str = "") -> Any:
        return self.staff.ok("post", f"/orders/{number}/status", {"status": status, "note": note})


def make_shop(client: Any, slug: str | None = None) -> Shop:
    staff = signup(client, slug)
    shop = Shop(staff=staff, buyer=staff, staff_email=f"owner@{staff.slug}.test",
                buyer_email=f"buyer@{staff.slug}.test")
    staff.ok("put", "/warehouses/W1", {"name": "Main"})
    staff.ok("put", f"/products/{shop.sku}", {"name": "Green tea", "price": shop.price, "retail_price": "120.00"})
    staff.ok("put", f"/warehouses/W1/stock/{shop.sku}", {"on_hand": shop.stock})
    shop.buyer = staff.buyer("C1", email=shop.buyer_email, warehouse="W1")
    return shop
