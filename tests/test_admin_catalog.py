# ruff: noqa: F811
"""Admin product and brand pages: search, paging, form errors (422, nothing stored), images."""

from __future__ import annotations

import io
from decimal import Decimal

from tests.test_admin_common import Staff, staff, text_of  # noqa: F401

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
       b"\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

FORM = {"name": "绿茶 500ml", "price": "12.50", "retail_price": "18.00", "floor_price": "10.00", "brand": "",
        "category": "drinks", "unit": "瓶", "spec": "500ml", "barcode": "690123", "erp_code": "E-1",
        "min_qty": "6", "order_multiple": "6", "active": "true", "featured": "false", "description": "Tea",
        "tags": "新品, 夏季"}


def test_create_edit_search_product(staff: Staff) -> None:
    staff.post("/brands/new", {"code": "TEA", "name": "Tea Co"})
    resp = staff.post("/products/new", {**FORM, "sku": "G-500", "brand": "TEA"})
    assert resp.status_code == 200, resp.text
    view = staff.api.ok("get", "/products/G-500")
    assert view["name"] == "绿茶 500ml" and Decimal(view["price"]) == Decimal("12.50") and view["brand"] == "TEA"
    assert view["min_qty"] == 6 and view["active"] is True and view["featured"] is False
    # pinyin initials, SKU, name
    for q in ("lc", "G-500", "绿茶"):
        assert "G-500" in staff.get("/products", params={"q": q}).text, q
    assert "G-500" not in staff.get("/products", params={"q": "zzz"}).text
    assert "G-500" in staff.get("/products", params={"brand": "TEA"}).text
    assert "G-500" in staff.get("/products", params={"category": "drinks"}).text
    assert "G-500" not in staff.get("/products", params={"category": "food"}).text
    assert "G-500" in staff.get("/products", params={"tag": "新品"}).text
    assert "G-500" not in staff.get("/products", params={"tag": "新"}).text
    # edit: clear the barcode, change the price
    staff.post("/products/G-500", {**FORM, "price": "13.00", "barcode": "", "brand": "TEA"})
    view = staff.api.ok("get", "/products/G-500")
    assert Decimal(view["price"]) == Decimal("13.00") and view["barcode"] is None


def test_bad_product_form_is_422_and_stores_nothing(staff: Staff) -> None:
    resp = staff.post("/products/new", {**FORM, "sku": "BAD 1"})
    assert resp.status_code == 422 and 'data-field="sku"' in resp.text
    resp = staff.post("/products/new", {**FORM, "sku": "BAD-1", "price": "-1", "min_qty": "x",
                                        "brand": "NOPE"})
    assert resp.status_code == 422
    text = text_of(resp.text)
    assert "must not be negative" in text and "unknown brand" in text
    assert 'data-field="price"' in resp.text
    assert "Traceback" not in resp.text
    assert staff.api.get("/products/BAD-1").status_code == 404
    resp = staff.post("/products/new", {**FORM, "sku": "OK-1", "price": "5.00"})  # below floor 10.00
    assert resp.status_code == 422 and "price floor" in resp.text
    assert staff.api.get("/products/OK-1").status_code == 404
    staff.post("/products/new", {**FORM, "sku": "OK-2"})
    resp = staff.post("/products/new", {**FORM, "sku": "OK-2"})
    assert resp.status_code == 422 and "already exists" in resp.text
    resp = staff.post("/products/OK-2", {**FORM, "name": "", "price": "abc"})
    assert resp.status_code == 422
    assert Decimal(staff.api.ok("get", "/products/OK-2")["price"]) == Decimal("12.50")


def test_paging(staff: Staff) -> None:
    for i in range(55):
        staff.api.ok("put", f"/products/S{i:03d}", {"name": f"Item {i}", "price": "1.00"})
    first = staff.get("/products")
    assert "S049" in first.text and "S050" not in first.text and "1 / 2" in first.text
    second = staff.get("/products", params={"p": "2"})
    assert "S054" in second.text and "S000" not in second.text


def test_image_upload_and_media_route(staff: Staff) -> None:
    staff.post("/products/new", {**FORM, "sku": "IMG-1"})
    client = staff.client
    resp = client.post(staff.url("/products/IMG-1"), data={**FORM, "_csrf_token": staff.csrf},
                       files={"image": ("a.png", io.BytesIO(PNG), "image/png")})
    assert resp.status_code == 200, resp.text
    page = staff.get("/products/IMG-1")
    import re
    name = re.search(r"/media/([0-9a-f]{32}\.png)", page.text).group(1)  # type: ignore[union-attr]
    img = client.get(f"/t/{staff.slug}/media/{name}")
    assert img.status_code == 200 and img.content == PNG and img.headers["content-type"].startswith("image/png")
    assert client.get(f"/t/{staff.slug}/media/..%2Fsecret_key").status_code == 404
    assert client.get(f"/t/{staff.slug}/media/x.png").status_code == 404
    # not an image: 422, nothing stored
    resp = client.post(staff.url("/products/IMG-1"), data={**FORM, "_csrf_token": staff.csrf},
                       files={"image": ("a.png", io.BytesIO(b"<script>"), "image/png")})
    assert resp.status_code == 422 and "JPEG" in resp.text


def test_brand_form_errors(staff: Staff) -> None:
    resp = staff.post("/brands/new", {"code": "bad code", "name": ""})
    assert resp.status_code == 422
    staff.post("/brands/new", {"code": "B1", "name": "One"})
    resp = staff.post("/brands/B1", {"name": ""})
    assert resp.status_code == 422
    staff.post("/brands/B1", {"name": "Uno"})
    assert "Uno" in staff.get("/brands").text
