"""Chromium: staff sign in, create a warehouse and a product, set stock, approve an order
placed through the API (HTMX), move it to picking and ship it with carrier and tracking number."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSWORD, signup


def test_staff_product_stock_approve_ship(page: Any, live_server: str, client: Any) -> None:
    api = signup(client)
    slug = api.slug
    admin = f"{live_server}/t/{slug}/admin"
    page.goto(f"{live_server}/t/{slug}/login")
    page.fill("#email", f"owner@{slug}.test")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(admin)

    page.goto(f"{admin}/warehouses/new")
    page.fill("#f-code", "W1")
    page.fill("#f-name", "上海仓")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{admin}/warehouses?**")
    assert "上海仓" in page.locator("#warehouses").inner_text()

    page.goto(f"{admin}/products/new")
    page.fill("#f-sku", "TEA-1")
    page.fill("#f-name", "绿茶")
    page.fill("#f-price", "-5")
    page.click("#product-form button[type=submit]")
    assert page.locator('.field-error[data-field="price"]').is_visible()
    page.fill("#f-price", "12.50")
    page.fill("#f-spec", "500ml")
    page.click("#product-form button[type=submit]")
    page.wait_for_url(f"{admin}/products/TEA-1?**")
    assert page.locator("#flash .flash.ok").is_visible()

    page.goto(f"{admin}/stock/product/TEA-1")
    page.fill("#f-on_hand", "30")
    page.fill("#f-note", "opening stock")
    page.click("#set-stock button[type=submit]")
    page.wait_for_url(f"{admin}/stock/product/TEA-1?**")
    assert page.locator('#levels tr[data-warehouse="W1"] .on-hand').inner_text() == "30"
    assert "opening stock" in page.locator("#ledger").inner_text()

    buyer = api.buyer("C1", name="门店一")
    number = buyer.ok("post", "/orders", {"lines": [{"sku": "TEA-1", "qty": 4}]})["number"]

    page.goto(f"{admin}/orders/queue")
    row = page.locator(f"#q-{number}")
    row.locator("button[data-action=approve]").click()
    page.locator(f"#q-{number}").wait_for(state="detached")  # no eval: the CSP forbids it
    assert api.ok("get", f"/orders/{number}")["status"] == "approved"

    page.goto(f"{admin}/orders/{number}")
    page.click("button[data-status=picking]")
    page.wait_for_selector("#ship-form")
    page.fill("#carrier", "顺丰")
    page.fill("#tracking_number", "SF1234567")
    page.click("#ship-form button[type=submit]")
    page.wait_for_selector(".badge.st-shipped")
    assert "SF1234567" in page.content()
    view = api.ok("get", f"/orders/{number}")
    assert view["status"] == "shipped" and view["tracking_number"] == "SF1234567"
    assert [e["status"] for e in view["events"]] == ["submitted", "approved", "picking", "shipped"]
    assert api.ok("get", "/stock/TEA-1")[0]["on_hand"] == 26
    assert "Traceback" not in page.content()
