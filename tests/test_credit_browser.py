"""Credit pages in Chromium: finance sets a limit and records a repayment; the buyer sees "my credit"."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSWORD, TenantAPI


def _login(page: Any, live_server: str, slug: str, email: str) -> None:  # noqa: F811
    page.goto(f"{live_server}/t/{slug}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_credit_pages_in_the_browser(tenant: TenantAPI, page: Any, live_server: str) -> None:  # noqa: F811
    tenant.ok("put", "/products/SKU-1", {"name": "Tea", "price": "10.00"})
    tenant.ok("put", "/warehouses/WH1", {"name": "Main"})
    tenant.ok("put", "/warehouses/WH1/stock/SKU-1", {"on_hand": 100})
    tenant.ok("put", "/plugins/credit", {"enabled": True})
    buyer = tenant.buyer("C1", email="buyer@c1.test", name="Store One")

    _login(page, live_server, tenant.slug, f"owner@{tenant.slug}.test")
    page.goto(f"{live_server}/t/{tenant.slug}/admin")
    page.click("#admin-menu a[href$='/admin/credit']")
    page.wait_for_url(f"**/t/{tenant.slug}/admin/credit")

    # a bad limit is shown in the page and stores nothing
    page.fill("#c-customer", "C1")
    page.fill("#c-limit", "-1")
    page.click("#credit-line-form button[type=submit]")
    assert "limit" in page.locator(".flash.error").inner_text()
    assert tenant.get("/credit/C1").status_code == 404

    page.fill("#c-customer", "C1")
    page.fill("#c-limit", "100")
    page.fill("#c-terms", "30")
    page.click("#credit-line-form button[type=submit]")
    page.wait_for_url("**/admin/credit/C1?done=saved")
    assert page.locator("#credit-limit").inner_text() == "100.00"

    number = buyer.ok("post", "/orders", {"lines": [{"sku": "SKU-1", "qty": 4}]})["number"]
    page.reload()
    assert page.locator("#credit-used").inner_text() == "40.00"
    assert number in page.locator("#credit-items").inner_text()

    page.fill("#p-amount", "15.50")
    page.fill("#p-ref", "bank slip 1")
    page.click("#credit-payment-form button[type=submit]")
    page.wait_for_url("**/admin/credit/C1?done=paid")
    assert page.locator("#credit-used").inner_text() == "24.50"
    assert "bank slip 1" in page.locator("#credit-ledger").inner_text()

    # too much is refused in the page
    page.fill("#p-amount", "999")
    page.click("#credit-payment-form button[type=submit]")
    assert "24.50" in page.locator(".flash.error").inner_text()
    assert tenant.ok("get", "/credit/C1")["used"] == "24.50"

    # the buyer's own page
    page.context.clear_cookies()
    _login(page, live_server, tenant.slug, "buyer@c1.test")
    page.goto(f"{live_server}/t/{tenant.slug}/")
    page.click("#store-menu a[href$='/credit']")
    page.wait_for_url(f"**/t/{tenant.slug}/credit")
    assert page.locator("#credit-used").inner_text() == "24.50"
    assert page.locator("#credit-available").inner_text() == "75.50"
    assert number in page.locator("#my-credit-items").inner_text()
