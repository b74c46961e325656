# ruff: noqa: F811
"""The admin dashboard answers "what needs me now" with real figures, computed server-side:
to-do counts linking to filtered lists (plugins add theirs through qudao_dashboard_todos),
today and this month against before, top products and customers, recent orders."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from html import unescape
from typing import Any

from tests.test_admin_common import Staff, staff, text_of  # noqa: F401
from tests.test_admin_orders import place
from tests.test_credit import _age_items, enable


def test_dashboard_shows_real_figures_and_todos(staff: Staff) -> None:
    buyer, number = place(staff.api, qty=3)                   # 30.00, submitted
    second = buyer.ok("post", "/orders", {"lines": [{"sku": "P1", "qty": 2}]})["number"]
    staff.api.ok("post", f"/orders/{second}/status", {"status": "approved"})
    _, rejected = place(staff.api, qty=1, customer="C2")      # rejected: not a sale
    staff.api.ok("post", f"/orders/{rejected}/status", {"status": "rejected", "note": "no"})
    staff.post("/stock/product/P1/threshold", {"warehouse": "W1", "low_threshold": "200"})

    dash = staff.get("")
    assert dash.status_code == 200
    html = dash.text
    assert "Loading" not in html and "hx-trigger=\"load\"" not in html  # nothing waits for a second request
    todos = dict(re.findall(r'data-todo="([^"]+)">.*?<span class="t-count">([0-9,]+)</span>', html, re.S))
    assert todos["/admin/orders/queue"] == "1"     # the second one is approved, the third rejected
    assert todos["/admin/stock/low"] == "1"
    kpi = text_of(html.split('data-kpi="today"', 1)[1].split('data-kpi="orders-today"', 1)[0])
    assert "CN¥50.00" in kpi                              # English reader: 30 + 20, the rejected one left out
    assert "Orders to approve" in html and "Low stock" in html
    chart = json.loads(unescape(re.search(r'data-chart="([^"]+)"', html).group(1)))
    today = date.today().day
    assert Decimal(chart["this"][-1]) == Decimal("50.00") and len(chart["this"]) >= 1
    assert len(chart["labels"]) >= today
    assert "P1" in html.split('id="top-products"', 1)[1].split("</ol>", 1)[0]
    assert "Shop One" in html.split('id="top-customers"', 1)[1].split("</ol>", 1)[0]
    recent = html.split('id="recent-orders"', 1)[1].split("</ul>", 1)[0]
    assert number in recent and second in recent and rejected in recent
    # the to-do tiles link to lists that show what they count
    queue = staff.get("/orders/queue").text
    assert f'id="q-{number}"' in queue and f'id="q-{second}"' not in queue
    assert "P1" in staff.get("/stock/low").text


def test_plugins_add_todos_through_the_hook(staff: Staff, test_settings: Any) -> None:
    api = staff.api
    place(api, qty=2)
    assert "/admin/credit" not in staff.get("").text.split('id="todos"', 1)[1].split("</div>", 1)[0]
    enable(api, default_terms_days=10)
    buyer = api.buyer("C3", name="Late Payer")
    api.ok("put", "/credit/C3", {"limit": "500.00"})
    buyer.ok("post", "/orders", {"lines": [{"sku": "P1", "qty": 1}]})
    tiles = staff.get("").text.split('id="todos"', 1)[1].split("</div>", 1)[0]
    assert re.search(r'data-todo="/admin/credit">.*?t-count">0<', tiles, re.S)
    _age_items(test_settings, api.slug, 3)
    tiles = staff.get("").text.split('id="todos"', 1)[1].split("</div>", 1)[0]
    assert re.search(r'data-todo="/admin/credit">.*?t-count">1<', tiles, re.S)
    assert "Customers with overdue credit" in tiles


def test_dashboard_in_chinese_formats_money_the_chinese_way(staff: Staff) -> None:
    place(staff.api, qty=3)
    staff.client.cookies.set("qd_lang", "zh_CN")
    html = staff.get("").text
    assert "¥30.00" in html and "CN¥" not in html
    assert "待审核订单" in html and "本月销售额" in html
