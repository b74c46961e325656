"""A plugin that raises in a hook is logged with its name; pages and orders still work (issue 17)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from qudao.core.plugin_api import PluginMeta, hookimpl
from qudao.testing import TenantAPI, installed_plugin, signup, web_login


class Broken:
    """Raises in every ordinary hook it implements; vetoes only when asked to."""

    def __init__(self, name: str = "broken", veto: bool = False, criteria: bool = False) -> None:
        self.meta = PluginMeta(name=name, title="Broken", version="0.0.1")
        self.veto, self.criteria = veto, criteria

    @hookimpl
    def qudao_storefront_menu(self, ctx: Any) -> list[tuple[str, str]]:
        raise RuntimeError("menu exploded")

    @hookimpl
    def qudao_admin_menu(self, ctx: Any) -> list[tuple[str, str]]:
        raise KeyError("admin menu exploded")

    @hookimpl
    async def qudao_product_badges(self, ctx: Any, products: list[Any]) -> dict[int, list[str]]:
        raise ValueError("badges exploded")

    @hookimpl
    async def qudao_adjust_lines(self, ctx: Any, cart: Any) -> None:
        raise ZeroDivisionError("adjust exploded")

    @hookimpl
    async def qudao_order_adjustments(self, ctx: Any, cart: Any) -> list[Any]:
        raise RuntimeError("adjustments exploded")

    @hookimpl
    async def qudao_order_status_changed(self, ctx: Any, order: Any, old: str, new: str, note: str) -> None:
        raise RuntimeError("status hook exploded")

    @hookimpl
    async def qudao_validate_cart(self, ctx: Any, cart: Any, placing: bool) -> list[Any]:
        if self.veto:
            raise RuntimeError("validation exploded")
        return []

    @hookimpl
    async def qudao_product_criteria(self, ctx: Any) -> list[Any]:
        if self.criteria:
            raise RuntimeError("criteria exploded")
        return []


def shop(client: Any, plugin: str | None) -> tuple[TenantAPI, TenantAPI]:
    staff = signup(client)
    staff.ok("put", "/warehouses/W1", {"name": "Main"})
    staff.ok("put", "/products/P-1", {"name": "Tea", "price": "100.00"})
    staff.ok("put", "/warehouses/W1/stock/P-1", {"on_hand": 50})
    if plugin:
        staff.ok("put", f"/plugins/{plugin}", {"enabled": True})
    return staff, staff.buyer("C1", email=f"buyer@{staff.slug}.test")


def test_raising_plugin_does_not_break_pages_or_orders(client: Any, web: Any) -> None:
    with installed_plugin(Broken()) as failures:
        staff, buyer = shop(client, "broken")
        other_staff, other_buyer = shop(client, None)
        quote = buyer.ok("post", "/cart/quote", {"lines": [{"sku": "P-1", "qty": 2}]})
        assert Decimal(quote["total"]) == Decimal("200.00") and quote["violations"] == []
        order = buyer.ok("post", "/orders", {"lines": [{"sku": "P-1", "qty": 2}]}, status=201)
        assert buyer.ok("get", f"/orders/{order['number']}")["status"] == "submitted"
        changed = staff.ok("post", f"/orders/{order['number']}/status", {"status": "approved"})
        assert changed["status"] == "approved"
        web_login(web, staff.slug, f"buyer@{staff.slug}.test")
        for path in ("", "/p/P-1", "/orders"):
            resp = web.get(f"/t/{staff.slug}{path}")
            assert resp.status_code == 200, (path, resp.text[:300])
        web.cookies.clear()
        web_login(web, staff.slug, f"owner@{staff.slug}.test")
        for path in ("/admin", "/admin/orders", f"/admin/orders/{order['number']}"):
            resp = web.get(f"/t/{staff.slug}{path}")
            assert resp.status_code == 200, (path, resp.text[:300])
        hooks = {hook for name, hook in failures if name == "broken"}
        assert {"qudao_adjust_lines", "qudao_order_adjustments", "qudao_order_status_changed",
                "qudao_storefront_menu", "qudao_admin_menu", "qudao_product_badges"} <= hooks
        before = len(failures)
        other_buyer.ok("post", "/orders", {"lines": [{"sku": "P-1", "qty": 1}]}, status=201)
        assert len(failures) == before  # another tenant never calls it


def test_failure_is_logged_with_the_plugin_name(client: Any, caplog: pytest.LogCaptureFixture) -> None:
    with installed_plugin(Broken(name="loud")):
        _staff, buyer = shop(client, "loud")
        with caplog.at_level("ERROR", logger="qudao.plugins"):
            buyer.ok("post", "/cart/quote", {"lines": [{"sku": "P-1", "qty": 1}]})
    lines = [str(r.msg) for r in caplog.records if r.name == "qudao.plugins"]
    assert any("plugin_hook_failed" in line and "loud" in line and "qudao_order_adjustments" in line
               for line in lines), lines


def test_raising_veto_hook_refuses_the_order_clearly(client: Any) -> None:
    with installed_plugin(Broken(name="vetoer", veto=True)):
        staff, buyer = shop(client, "vetoer")
        quote = buyer.ok("post", "/cart/quote", {"lines": [{"sku": "P-1", "qty": 1}]})
        assert [v["code"] for v in quote["violations"]] == ["plugin_failed"]
        assert "vetoer" in quote["violations"][0]["message"]
        resp = buyer.post("/orders", {"lines": [{"sku": "P-1", "qty": 1}]})
        assert resp.status_code == 422 and resp.json()["violations"][0]["code"] == "plugin_failed"
        assert staff.ok("get", "/stock/P-1")[0]["reserved"] == 0


def test_raising_visibility_hook_hides_rather_than_leaks(client: Any) -> None:
    with installed_plugin(Broken(name="hider", criteria=True)):
        _staff, buyer = shop(client, "hider")
        listing = buyer.ok("get", "/products")
        assert listing["items"] == [] and listing["total"] == 0
        quote = buyer.ok("post", "/cart/quote", {"lines": [{"sku": "P-1", "qty": 1}]})
        assert [v["code"] for v in quote["violations"]] == ["unknown_product"]


class BrokenPanels:
    """Storefront panels whose templates are missing; dashboard panels that raise."""

    meta = PluginMeta(name="badpanels", title="Bad panels", version="0.0.1")

    @hookimpl
    async def qudao_storefront_panels(self, ctx: Any) -> list[Any]:
        from qudao.core.plugin_api import Panel

        return [Panel(title="Missing", template="badpanels/missing.html"),
                Panel(title="Raises", template="badpanels/none.html", order=1)]

    @hookimpl
    async def qudao_dashboard_panels(self, ctx: Any) -> list[Any]:
        raise RuntimeError("dashboard panels exploded")


def test_broken_panel_templates_leave_the_page_up(client: Any, web: Any) -> None:
    with installed_plugin(BrokenPanels()) as failures:
        staff, _buyer = shop(client, "badpanels")
        web_login(web, staff.slug, f"buyer@{staff.slug}.test")
        home = web.get(f"/t/{staff.slug}/")
        assert home.status_code == 200 and "Missing" not in home.text and "Raises" not in home.text
        web.cookies.clear()
        web_login(web, staff.slug, f"owner@{staff.slug}.test")
        assert web.get(f"/t/{staff.slug}/admin").status_code == 200
    assert ("badpanels", "template badpanels/missing.html") in failures
    assert ("badpanels", "qudao_dashboard_panels") in failures
