"""Promotions pages in Chromium: create (an error first), edit, pause, simulate."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSWORD, TenantAPI
from tests.test_promotions_api import make_shop


def _login(page: Any, live_server: str, slug: str, email: str) -> None:  # noqa: F811
    page.goto(f"{live_server}/t/{slug}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_promotion_pages_in_the_browser(tenant: TenantAPI, page: Any, live_server: str) -> None:  # noqa: F811
    make_shop(tenant)
    tenant.buyer("G1", tier="gold", name="Gold Store")
    _login(page, live_server, tenant.slug, f"owner@{tenant.slug}.test")
    page.goto(f"{live_server}/t/{tenant.slug}/admin")
    page.click("#admin-menu a[href$='/admin/promotions']")
    page.wait_for_url(f"**/t/{tenant.slug}/admin/promotions")

    page.click("a[href$='/admin/promotions/new']")
    page.fill("#f-code", "M100")
    page.select_option("#f-kind", "threshold_amount_off")
    page.fill("#f-threshold", "100")
    page.fill("#f-amount", "-20")
    page.fill("#f-tiers", "gold")
    page.click("form.card button[type=submit]")
    assert "amount" in page.locator(".flash.error").inner_text()
    assert tenant.get("/promotions/M100").status_code == 404

    page.fill("#f-amount", "20")
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/admin/promotions?done=saved")
    row = page.locator("#promo-M100")
    assert "满100.00减20.00" in row.inner_text() and "gold" in row.inner_text()

    row.locator("a").first.click()
    page.wait_for_url("**/admin/promotions/M100")
    assert page.locator("#f-amount").input_value() == "20.00"
    page.fill("#f-amount", "25")
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/admin/promotions?done=saved")
    assert tenant.ok("get", "/promotions/M100")["amount"] == "25.00"

    page.click("button[data-toggle=M100]")
    page.wait_for_selector("#promo-M100 [data-status=paused]")
    page.click("button[data-toggle=M100]")
    page.wait_for_selector("#promo-M100 [data-status=running]")

    page.goto(f"{live_server}/t/{tenant.slug}/admin/promotions/simulate")
    page.select_option("#s-customer", "G1")
    page.fill("#s-lines", "A 10\nB 2")
    page.click("form.card button[type=submit]")
    assert page.locator("#sim-total").inner_text() == "91.00"  # 116.00 - 25.00, as the gold customer sees it
