"""The approval queue shows what it takes to decide (lines with stock, credit headroom through the
plugin hook, discounts, the customer's recent orders) and approves or rejects in bulk; money is
formatted per locale; the locale follows the user's choice, else Accept-Language, else the tenant."""

# ruff: noqa: F811
from __future__ import annotations

from typing import Any

from tests.conftest import TenantAPI
from tests.test_admin_common import Staff, staff, text_of  # noqa: F401
from tests.test_admin_orders import place
from tests.test_credit import enable


def test_queue_shows_context_and_approves_in_bulk(staff: Staff) -> None:
    api = staff.api
    buyer, first = place(api, qty=3)
    second = buyer.ok("post", "/orders", {"lines": [{"sku": "P1", "qty": 2}]})["number"]
    enable(api)
    api.ok("put", "/credit/C1", {"limit": "1000.00"})
    third = buyer.ok("post", "/orders", {"lines": [{"sku": "P1", "qty": 1}]})["number"]
    html = staff.get("/orders/queue").text
    item = html.split(f'id="q-{third}"', 1)[1].split('class="card queue-item"', 1)[0]
    text = text_of(item)
    assert "Green tea" in text and "× 1" in text and "94 left" in text   # 100 on hand − 6 reserved
    assert 'data-fact="Credit available"' in item and "CN¥990.00" in text  # the hook's headroom
    assert first in text and second in text                               # the customer's recent orders
    resp = staff.post("/orders/queue/bulk", {"action": "approved", "number": [first, second]})
    assert resp.status_code == 200 and "2 order(s) Approved" in text_of(resp.text)
    assert api.ok("get", f"/orders/{first}")["status"] == "approved"
    assert api.ok("get", f"/orders/{third}")["status"] == "submitted"
    assert "Give a reason" in staff.post("/orders/queue/bulk", {"action": "rejected", "number": [third]}).text
    assert api.ok("get", f"/orders/{third}")["status"] == "submitted"
    staff.post("/orders/queue/bulk", {"action": "rejected", "number": [third], "note": "duplicate"})
    assert api.ok("get", f"/orders/{third}")["status"] == "rejected"
    page = staff.get(f"/orders/{second}").text
    assert 'id="decide"' in page and "Before you decide" in page


def test_reports_and_order_pages_format_money_per_locale(staff: Staff) -> None:
    _, number = place(staff.api, qty=3)
    report = staff.get("/reports").text
    assert "CN¥30.00" in text_of(report.split('id="sales-total"', 1)[1].split("</b>", 1)[0])
    assert "30.00 CNY" not in report
    by_day = report.split('id="by-day"', 1)[1].split("</table>", 1)[0]
    assert by_day.count("<tr>") == 2  # the header and the one day with orders, not 30 days of zeros
    staff.client.cookies.set("qd_lang", "zh_CN")
    assert "¥30.00" in staff.get(f"/orders/{number}").text.split('id="order-total"', 1)[1][:80]


def test_locale_choice_then_accept_language_then_tenant(client: Any, tenant: TenantAPI) -> None:
    base = f"/t/{tenant.slug}"
    client.cookies.clear()
    assert "Sign in" in client.get(f"{base}/login", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    zh = client.get(f"{base}/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert "登录" in zh and "Sign in" not in zh
    assert "登录" in client.get(f"{base}/login", headers={"Accept-Language": "fr-FR"}).text  # tenant default
    from tests.conftest import PASSWORD, web_login

    web_login(client, tenant.slug, f"owner@{tenant.slug}.test", PASSWORD)
    client.post(f"{base}/account/language", data={"locale": "zh_CN", "next": f"{base}/admin",
                                                   "_csrf_token": client.cookies.get("qd_csrf")})
    client.cookies.delete("qd_lang")
    # the stored choice wins over the browser's language
    dash = client.get(f"{base}/admin", headers={"Accept-Language": "en"}).text
    assert "工作台" in dash and "Dashboard" not in dash
    client.cookies.clear()
