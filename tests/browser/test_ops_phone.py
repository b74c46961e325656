"""On a phone: a buyer answers an HQ task with a photo, then puts the suggested cart in one click."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from tests.conftest import PASSWORD, TenantAPI
from tests.test_channel_tasks import today
from tests.test_replenishment import receive

SHOTS = Path(__file__).resolve().parent.parent / "screenshots"


def jpeg() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (640, 480), (240, 240, 235))
    draw = ImageDraw.Draw(img)
    for i in range(6):
        draw.rectangle((40 + i * 95, 120, 110 + i * 95, 400), fill=(30 + 30 * i, 120, 200 - 20 * i))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def test_buyer_answers_a_task_with_a_photo_and_fills_the_suggested_cart(phone: Any, live_server: str,
                                                                        tenant: TenantAPI, tmp_path: Path) -> None:
    for plugin in ("channel_tasks", "replenishment", "sales_targets"):
        tenant.ok("put", f"/plugins/{plugin}", {"enabled": True})
    tenant.ok("put", "/products/TEA-1", {"name": "乌龙茶 500ml", "price": "9.00", "pack_unit": "箱", "pack_size": 12})
    tenant.ok("put", "/products/TEA-2", {"name": "红茶 250g", "price": "12.00", "min_qty": 10})
    tenant.ok("put", "/warehouses/WH1", {"name": "上海仓"})
    for sku in ("TEA-1", "TEA-2"):
        tenant.ok("put", f"/warehouses/WH1/stock/{sku}", {"on_hand": 10_000})
    email = f"buyer@{tenant.slug}.test"
    buyer = tenant.buyer("C1", email=email, name="华东便利店", region="华东/上海", type="store")
    receive(tenant, buyer, "TEA-1", 84)
    receive(tenant, buyer, "TEA-2", 14)
    tenant.ok("post", "/channel-tasks", {"title": "新品陈列拍照", "body": "请把新品陈列在收银台旁并拍照上传。",
                                         "due_date": today(), "min_photos": 1,
                                         "numbers": [{"label": "乌龙茶库存", "sku": "TEA-1"}],
                                         "audience": {"regions": ["华东"]}}, status=201)
    photo = tmp_path / "shelf.jpg"
    photo.write_bytes(jpeg())
    SHOTS.mkdir(exist_ok=True)
    base = f"{live_server}/t/{tenant.slug}"
    page = phone

    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert page.locator("#task-panel").is_visible()
    page.screenshot(path=str(SHOTS / "ops-home-panels.png"), full_page=True)

    # the task: text, the stock count and a photo
    page.locator("#task-panel a").first.click()
    page.wait_for_selector("#answer-form")
    page.fill("#text", "已陈列在收银台旁")
    page.fill("#number_0", "6")
    page.set_input_files("#photos", str(photo))
    page.screenshot(path=str(SHOTS / "ops-task-answer.png"), full_page=True)
    page.click("#answer-form button")
    page.wait_for_url(f"{base}/channel-tasks?done=answered")
    assert page.locator("#my-tasks .ct-st.submitted").count() == 1
    item = buyer.ok("get", "/channel-tasks/mine")["items"][0]
    assert item["status"] == "submitted" and len(item["photos"]) == 1 and item["numbers"][0]["value"] == "6"
    shot = page.request.get(f"{live_server}{item['photos'][0]}")
    assert shot.status == 200 and shot.headers["content-type"] == "image/jpeg"

    # suggested for you: the counted stock (6) makes TEA-1's line; one click fills the cart
    page.goto(f"{base}/replenishment")
    assert page.locator("#suggested-lines li").count() == 2
    why = page.locator("#suggested-lines li[data-sku='TEA-1'] .rp-why").inner_text()
    assert "3.0" in why and "6" in why  # sells 3.0/day, 6 counted
    page.screenshot(path=str(SHOTS / "ops-suggested.png"), full_page=True)
    page.click("#fill-cart")
    page.wait_for_url(f"{base}/cart")
    text = page.inner_text("body")
    assert "乌龙茶 500ml" in text and "红茶 250g" in text
    page.screenshot(path=str(SHOTS / "ops-suggested-cart.png"), full_page=True)
    box = page.locator("#checkout").bounding_box()
    assert box is not None and box["width"] <= 390
