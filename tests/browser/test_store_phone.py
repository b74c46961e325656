"""A buyer orders on a phone-sized screen and tracks the order to receipt."""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.conftest import PASSWORD, TenantAPI
from tests.test_storefront import setup_shop


def test_buyer_orders_on_phone_and_confirms_receipt(phone: Any, live_server: str, tenant: TenantAPI) -> None:
    email = setup_shop(tenant)
    tenant.ok("put", "/settings/ordering", {"min_order_amount": "20.00"})
    base = f"{live_server}/t/{tenant.slug}"
    page = phone

    page.goto(f"{base}/")
    page.click(f"a[href='/t/{tenant.slug}/login']")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")

    # search by pinyin initials of 乌龙茶: the grid narrows to that product, at the tier price
    page.screenshot(path="/tmp/store-catalog.png")
    page.fill("#q", "wlc")
    page.press("#q", "Enter")
    page.wait_for_selector("#product-TEA-2", state="detached")
    card = page.locator("#product-TEA-1")
    assert "¥9.00" in card.inner_text()

    # add 3 to the cart (HTMX): a toast and the badge update without leaving the page
    card.locator("input[name=qty]").fill("3")
    card.locator("button[type=submit]").click()
    page.wait_for_selector("#toast .flash.ok")
    assert page.locator("#cart-badge").inner_text().strip() == "1"
    # the bottom tab bar is on screen on a phone
    box = page.locator("#store-menu").bounding_box()
    assert box is not None and box["y"] > 700

    page.click("#product-TEA-1 h3")
    page.wait_for_url(f"{base}/p/TEA-1")
    page.screenshot(path="/tmp/store-product.png")
    page.click(f"#store-menu a[href='/t/{tenant.slug}/cart']")
    page.wait_for_url(f"{base}/cart")
    assert "¥27.00" in page.locator("#total").inner_text()
    page.screenshot(path="/tmp/store-cart.png")
    page.click("#checkout")
    page.wait_for_url(f"{base}/checkout")
    page.fill("#address_text", "上海市黄浦区 1 号 张三 13800000000")
    page.fill("#note", "请上午送货")
    page.screenshot(path="/tmp/store-checkout.png", full_page=True)
    page.click("#place-order")
    page.wait_for_url(re.compile(r".*/orders/SO\d{8}-\d{4}\?placed=1$"))
    number = re.search(r"/orders/(SO[\d-]+)", page.url).group(1)  # type: ignore[union-attr]
    assert page.locator("#order-status").is_visible()
    assert page.locator("#cart-badge").inner_text().strip() == "0"

    # the brand fulfils it through the API
    for status in ("approved", "picking", "shipped", "delivered"):
        tenant.ok("post", f"/orders/{number}/status", {"status": status, "note": f"{status} {uuid.uuid4().hex[:4]}"})

    page.goto(f"{base}/orders")
    page.click(f"#order-{number}")
    page.wait_for_url(f"{base}/orders/{number}")
    page.fill("#order-action #note", "收到了，谢谢")
    page.click("#confirm-receipt")
    page.wait_for_url(f"{base}/orders/{number}?done=received")
    items = page.locator("#timeline li")
    assert items.count() == 6
    assert "收到了，谢谢" in page.locator("#timeline").inner_text()
    page.screenshot(path="/tmp/store.png", full_page=True)
    assert tenant.ok("get", f"/orders/{number}")["status"] == "received"
