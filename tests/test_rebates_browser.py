# ruff: noqa: F811
"""On a phone (390x844): a buyer sees rebate progress on the home page and on "My rebates", ticks
"use my rebate" at checkout and places the order with the deduction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import PASSWORD, TenantAPI
from tests.rebates_support import Clock, clock, order, program, receive, shop  # noqa: F401

SHOTS = Path(__file__).parent / "screenshots"


def test_buyer_sees_progress_and_uses_rebate_on_a_phone(phone: Any, live_server: str, tenant: TenantAPI,
                                                         clock: Clock, test_settings: Any) -> None:
    from tests.test_rebates_concurrency import _set_cap

    SHOTS.mkdir(exist_ok=True)
    shop(tenant)
    program(tenant, "Q", name="季度返利")
    email = "phone@rebates.test"
    tenant.ok("put", "/customers/C1", {"name": "一号门店"})
    tenant.ok("put", f"/customers/C1/users/{email}", {"password": PASSWORD})
    buyer = tenant.as_user(email)
    clock.set("2026-11-03T03:00:00")
    receive(tenant, buyer, order(buyer, {"A": 312, "B": 2})["number"])  # 312,500.00 this quarter
    tenant.ok("post", "/rebates/accounts/C1/adjustments", {"amount": "800.00", "reason": "Q3"}, status=201)
    _set_cap(test_settings, tenant.slug, 1000)  # 10 % of an order

    page, base = phone, f"{live_server}/t/{tenant.slug}"
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{base}/")
    panel = page.locator(".rebate-progress").first
    assert "¥312,500.00" in panel.inner_text() and "¥187,500.00" in panel.inner_text()
    page.screenshot(path=str(SHOTS / "rebates-home-panel.png"))

    page.goto(f"{base}/rebates")
    assert page.locator("#rebate-balance").inner_text() == "¥800.00"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # nothing wider than the phone
    page.screenshot(path=str(SHOTS / "rebates-my-rebates.png"), full_page=True)

    page.goto(f"{base}/")
    form = page.locator("#product-A form").first
    form.locator("input[name=qty]").fill("3")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#toast .flash.ok")
    page.goto(f"{base}/checkout")
    assert "¥300.00" in page.locator("#rebate-use-form").inner_text()
    page.check("#use-rebate")  # auto-submits: the page re-quotes with the rebate
    page.wait_for_url("**/checkout?use_rebate=1")
    assert page.locator("#total").inner_text().replace(",", "") == "¥2700.00"
    page.fill("#address_text", "上海市黄浦区 1 号 张三 13800000000")
    page.screenshot(path=str(SHOTS / "rebates-checkout.png"), full_page=True)
    page.click("#place-order")
    page.wait_for_url("**/orders/**")
    number = page.url.split("/orders/", 1)[1].split("?", 1)[0]
    view = buyer.ok("get", f"/orders/{number}")
    assert view["total"] == "2700.00" and view["adjustments"][0]["source"] == "rebates"
    assert buyer.ok("get", "/rebates/accounts/C1")["balance"] == "500.00"
