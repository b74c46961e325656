"""A distributor runs its back office on a phone: its stores, a price, its stock, and a store's
order from approval to shipment (stock going down)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.channels_support import build_channel, stock_dist
from tests.conftest import PASSWORD, TenantAPI

SHOTS = Path(__file__).resolve().parent.parent / "screenshots"


def test_distributor_back_office_on_phone(phone: Any, live_server: str, tenant: TenantAPI) -> None:
    SHOTS.mkdir(exist_ok=True)
    ch = build_channel(tenant)
    stock_dist(ch, 10)
    number = ch.store.ok("post", "/orders", {"lines": [{"sku": "TEA", "qty": 3}], "note": "请尽快发货"})["number"]
    email = "dist-phone@buyer.test"
    tenant.ok("put", f"/customers/DIST/users/{email}", {"password": PASSWORD})
    base = f"{live_server}/t/{tenant.slug}"
    page = phone

    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.click(f"#store-menu a[href='/t/{tenant.slug}/reseller']")
    page.wait_for_url(f"{base}/reseller")
    assert page.locator("#kpi-submitted b").inner_text() == "1"
    assert page.locator("#kpi-stock b").inner_text() == "10"
    # nothing wider than the phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "reseller-home.png"), full_page=True)

    page.click("#reseller-tabs a[href$='/reseller/stores']")
    page.wait_for_url(f"{base}/reseller/stores")
    page.fill("#s-code", "PHONE1")
    page.fill("#s-name", "手机门店")
    page.fill("#s-region", "浙江/绍兴")
    page.click("#save-store")
    page.wait_for_selector("#store-PHONE1")

    page.click("#reseller-tabs a[href$='/reseller/prices']")
    page.wait_for_url(f"{base}/reseller/prices")
    row = page.locator("#price-TEA")
    row.locator("input[name=price]").fill("7.00")  # below the brand's floor of 8.00
    row.locator("button[type=submit]").click()
    page.wait_for_selector(".flash.error")
    page.locator("#price-TEA input[name=price]").fill("12.00")
    page.locator("#price-TEA button[type=submit]").click()
    page.wait_for_selector(".flash.ok")
    assert page.locator("#price-TEA input[name=price]").input_value() == "12.00"
    page.screenshot(path=str(SHOTS / "reseller-prices.png"), full_page=True)

    page.click("#reseller-tabs a[href$='/reseller/orders']")
    page.wait_for_url(f"{base}/reseller/orders")
    page.click(f"#order-{number}")
    page.wait_for_url(f"{base}/reseller/orders/{number}")
    for action in ("approved", "picking", "shipped"):
        page.click(f"#do-{action}")
        page.wait_for_selector(f"#order-status.{action}")
    assert "请尽快发货" in page.content()
    page.screenshot(path=str(SHOTS / "reseller-order.png"), full_page=True)

    page.click("#reseller-tabs a[href$='/reseller/stock']")
    page.wait_for_url(f"{base}/reseller/stock")
    assert page.locator("#stock-TEA b.avail").inner_text() == "7"
    page.screenshot(path=str(SHOTS / "reseller-stock.png"), full_page=True)
    assert ch.dist.ok("get", f"/reseller/orders/{number}")["status"] == "shipped"


def test_brand_sees_sell_through_chart(page: Any, live_server: str, tenant: TenantAPI) -> None:
    from tests.channels_support import deliver

    SHOTS.mkdir(exist_ok=True)
    ch = build_channel(tenant)
    stock_dist(ch, 10)
    far = tenant.buyer("FAR", parent="DIST", region="广东/深圳")
    for buyer, qty in ((ch.store, 4), (far, 2)):
        number = buyer.ok("post", "/orders", {"lines": [{"sku": "TEA", "qty": qty}]})["number"]
        deliver(ch.dist, number, "/reseller/orders")
    base = f"{live_server}/t/{tenant.slug}"
    page.goto(f"{base}/login")
    page.fill("#email", f"owner@{tenant.slug}.test")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin**")
    page.goto(f"{base}/admin/sell-through?group_by=store&group_by=region")
    page.wait_for_selector("#sell-through-chart[data-ready='1']")
    assert "广东/深圳" in page.locator("#sell-through-rows").inner_text()
    assert "2" in page.locator("#dist-DIST").inner_text()
    page.screenshot(path=str(SHOTS / "admin-sell-through.png"), full_page=True)
