"""Issue 18's "Done when", in Chromium at both sizes (phone 390×844, desktop 1366×900) and in both
languages: a buyer finds a product by category, adds it with the stepper, checks out and tracks the
order; an admin approves from the queue with the context visible; the dashboard shows real figures;
a visitor applies and an admin approves them. Screenshots go to tests/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD, TenantAPI

SHOTS = Path(__file__).resolve().parent.parent / "screenshots"
SIZES = {"phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
                   "device_scale_factor": 2},
         "desktop": {"viewport": {"width": 1366, "height": 900}}}
LANGS = {"zh": "zh-CN", "en": "en-US"}


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def make(size: str, lang: str) -> Any:
        context = browser.new_context(locale=LANGS[lang], **SIZES[size])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


def shot(page: Any, name: str, *, full: bool = False) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")


def shop(t: TenantAPI) -> str:
    t.ok("put", "/warehouses/WH1", {"name": "上海仓"})
    t.ok("put", "/brands/acme", {"name": "山泉"})
    items = [("W-550", "天然饮用水 550ml×24", "drinks", "箱", "24.00", 1), ("T-WL", "乌龙茶 500ml×15", "tea", "箱", "45.00", 1),
             ("T-PE", "普洱茶饼 357g", "tea", "饼", "128.00", 7), ("B-BR", "全麦面包 400g", "bakery", "袋", "12.00", 1)]
    for sku, name, cat, unit, price, multiple in items:
        t.ok("put", f"/products/{sku}", {"name": name, "price": price, "brand": "acme", "category": cat, "unit": unit,
                                         "order_multiple": multiple, "retail_price": str(float(price) * 1.5)})
        t.ok("put", f"/warehouses/WH1/stock/{sku}", {"on_hand": 500})
    t.ok("put", "/prices/breaks/T-PE", {"breaks": [{"min_qty": 14, "price": "118.00"}]})
    email = f"store-{t.slug}@buyer.test"
    t.buyer("S1", email=email, name="好邻居便利店")
    return email


@pytest.mark.parametrize(("size", "lang"), [("phone", "zh"), ("desktop", "en")])
def test_buyer_finds_by_category_adds_with_stepper_checks_out_and_tracks(
        open_page: Any, live_server: str, tenant: TenantAPI, size: str, lang: str) -> None:
    email = shop(tenant)
    base = f"{live_server}/t/{tenant.slug}"
    page = open_page(size, lang)
    sign_in(page, base, email)
    page.goto(f"{base}/")
    page.click("#categories a[data-category=tea]")
    page.wait_for_url(re.compile(r".*category=tea.*"))
    assert page.locator("#product-W-550").count() == 0 and page.locator("#product-T-PE").is_visible()
    card = page.locator("#product-T-PE")
    qty = card.locator("input[name=qty]")
    assert qty.input_value() == "7"                       # sold by the 提 of seven
    card.locator("[data-stepper='+']").click()
    assert qty.input_value() == "14"
    card.locator("[data-stepper='-']").click()
    card.locator("[data-stepper='-']").click()            # never below the first multiple
    assert qty.input_value() == "7"
    card.locator("[data-stepper='+']").click()
    shot(page, f"store-catalog-{size}-{lang}")
    card.locator("button.add").click()
    page.wait_for_selector("#toast .flash.ok")
    page.wait_for_selector("#cart-summary")               # the sticky cart bar with the running total
    total = page.locator("#cart-total").inner_text()
    assert "1,652.00" in total                           # 14 × 118.00 (the volume price)
    assert "140.00" in page.locator("#cart-savings").inner_text()  # 14 × (128.00 − 118.00)
    shot(page, f"store-cart-bar-{size}-{lang}")
    page.click("#product-T-PE h3")
    page.wait_for_selector("#price-breaks")
    shot(page, f"store-product-{size}-{lang}")
    page.goto(f"{base}/cart")
    page.click("#checkout")
    page.fill("#address_text", "上海市黄浦区 1 号 张三 13800000000")
    page.click("#place-order")
    page.wait_for_url(re.compile(r".*/orders/SO\d{8}-\d{4}\?placed=1$"))
    number = re.search(r"/orders/(SO[\d-]+)", page.url).group(1)  # type: ignore[union-attr]
    tenant.ok("post", f"/orders/{number}/status", {"status": "approved"})
    page.click("#store-menu a[href$='/orders']")
    page.click(f"#order-{number}")
    status = page.locator("#order-status").inner_text()
    assert status == ("已审核" if lang == "zh" else "Approved")
    shot(page, f"store-order-{size}-{lang}")


@pytest.mark.parametrize(("size", "lang"), [("desktop", "zh"), ("phone", "en")])
def test_admin_approves_from_the_queue_with_context_and_sees_the_dashboard(
        open_page: Any, live_server: str, tenant: TenantAPI, size: str, lang: str) -> None:
    email = shop(tenant)
    buyer = tenant.as_user(email)
    first = buyer.ok("post", "/orders", {"lines": [{"sku": "W-550", "qty": 10}, {"sku": "T-WL", "qty": 2}]})["number"]
    second = buyer.ok("post", "/orders", {"lines": [{"sku": "B-BR", "qty": 5}]})["number"]
    base = f"{live_server}/t/{tenant.slug}"
    page = open_page(size, lang)
    sign_in(page, base, f"owner@{tenant.slug}.test")
    # the dashboard: to-do counts and today's real figures, drawn without waiting for anything
    page.goto(f"{base}/admin")
    todo = page.locator("a[data-todo='/admin/orders/queue'] .t-count")
    assert todo.inner_text() == "2"
    today = page.locator("[data-kpi=today] .k-value").inner_text()
    assert "390.00" in today                              # 240.00 + 90.00 + 60.00
    box = page.locator("#trend-chart").bounding_box()
    assert box is not None and box["height"] > 100       # Chart.js drew the server's figures
    assert page.locator("#top-products").inner_text().count("\n") >= 1
    shot(page, f"admin-dashboard-{size}-{lang}", full=size == "desktop")
    page.click("a[data-todo='/admin/orders/queue']")
    item = page.locator(f"#q-{first}")
    text = item.inner_text()
    assert "天然饮用水" in text and "490" in text and second in text  # lines, stock left, recent orders
    shot(page, f"admin-queue-{size}-{lang}", full=size == "desktop")
    if size == "phone":  # the sidebar is a drawer on a phone
        page.click(".menu-btn")
        page.wait_for_selector("#admin-menu a[href$='/admin/orders/queue']", state="visible")
        shot(page, f"admin-drawer-{size}-{lang}")
        page.keyboard.press("Escape")  # or a tap on the shaded page
    item.locator("button[data-action=approve]").click()
    page.wait_for_selector(f"#q-{first}", state="detached")
    assert tenant.ok("get", f"/orders/{first}")["status"] == "approved"
    page.check(f"#q-{second} input[data-bulk]")
    page.once("dialog", lambda d: d.accept())
    page.click("#bulk-approve")
    page.wait_for_selector("#flash .flash")
    assert tenant.ok("get", f"/orders/{second}")["status"] == "approved"


@pytest.mark.parametrize(("size", "lang"), [("phone", "zh"), ("desktop", "en")])
def test_visitor_applies_and_an_admin_approves(open_page: Any, live_server: str, tenant: TenantAPI,
                                               size: str, lang: str) -> None:
    shop(tenant)
    base = f"{live_server}/t/{tenant.slug}"
    visitor = open_page(size, lang)
    visitor.goto(f"{base}/")
    assert visitor.locator("#product-W-550").count() == 0   # the brand hides the catalog from visitors
    visitor.click("main a[href$='/apply']")
    email = f"new-{size}@shop.test"
    for field, value in (("company", "好又多超市"), ("contact", "王小明"), ("phone", "13900000000"), ("email", email),
                         ("password", PASSWORD), ("region", "上海/静安区"), ("address", "南京西路 1 号")):
        visitor.fill(f"#a-{field}", value)
    shot(visitor, f"store-apply-{size}-{lang}")
    visitor.click("#apply-form button[type=submit]")
    visitor.wait_for_selector("#applied")
    admin = open_page(size, lang)
    sign_in(admin, base, f"owner@{tenant.slug}.test")
    admin.goto(f"{base}/admin/applications")
    card = admin.locator(".card[id^=app-]").first
    assert "王小明" in card.inner_text()
    shot(admin, f"admin-applications-{size}-{lang}")
    card.locator("input[name=code]").fill(f"NEW-{size.upper()}")
    admin.once("dialog", lambda d: d.accept())
    card.locator("button[data-action=approve]").click()
    admin.wait_for_selector("#flash .flash.ok")
    assert tenant.ok("get", f"/customers/NEW-{size.upper()}")["name"] == "好又多超市"
    sign_in(visitor, base, email)                            # the new customer signs in with its password
    visitor.goto(f"{base}/")
    assert visitor.locator("#product-W-550").is_visible()
    visitor.click("#store-menu a[href$='/account']")
    visitor.once("dialog", lambda d: d.accept())
    visitor.click("#logout")                                 # sign out lives in the account tab, confirmed
    visitor.wait_for_url(re.compile(r".*/login.*|.*/t/[^/]+/$"))
