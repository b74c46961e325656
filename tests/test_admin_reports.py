# ruff: noqa: F811
"""Sales chart fragment (inline SVG), top 10s, sales report page and its Excel export."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

from openpyxl import load_workbook

from qudao.core.reports import bar_chart
from tests.test_admin_common import Staff, staff, text_of  # noqa: F401
from tests.test_admin_orders import place


def test_dashboard_chart_and_export(staff: Staff) -> None:
    buyer, number = place(staff.api, qty=3)
    buyer.ok("post", "/orders", {"lines": [{"sku": "P1", "qty": 2}]})
    _, rejected = place(staff.api, qty=1, customer="C2")
    staff.api.ok("post", f"/orders/{rejected}/status", {"status": "rejected", "note": "no"})
    assert staff.get("").status_code == 200  # the dashboard's own figures: tests/test_ui_dashboard.py
    frag = staff.get("/reports/chart")
    assert frag.status_code == 200 and "<svg" in frag.text
    bars = re.findall(r'data-value="([0-9.]+)"', frag.text)
    assert len(bars) == 30
    assert sum(Decimal(b) for b in bars) == Decimal("50.00")  # 3 + 2 at 10.00; the rejected order not counted
    text = text_of(frag.text)
    assert "P1" in text and "Shop One" in text
    page = staff.get("/reports")
    assert page.status_code == 200 and "by-region" in page.text
    week = staff.get("/reports", params={"days": "7"})
    assert len(re.findall(r'data-value="([0-9.]+)"', week.text)) == 7 and "last 7 days" in week.text
    assert len(re.findall(r'data-value="', staff.get("/reports", params={"days": "x"}).text)) == 30
    xlsx = staff.get("/reports/sales.xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames == ["By day", "By product", "By customer", "By region"]
    rows = list(wb["By product"].iter_rows(values_only=True))
    assert rows[1][0] == "P1" and rows[1][2] == 5 and rows[1][3] == "50.00"


def test_bar_chart_geometry() -> None:
    days = [(date(2026, 1, 1) + timedelta(days=i), Decimal(i * 10), i) for i in range(30)]
    chart = bar_chart(days)
    assert len(chart["bars"]) == 30
    tallest = max(chart["bars"], key=lambda b: b["h"])
    assert tallest["day"] == "2026-01-30"
    assert all(b["y"] + b["h"] <= chart["base_y"] + 0.5 for b in chart["bars"])
    empty = bar_chart([(date(2026, 1, 1), Decimal(0), 0)])
    assert empty["bars"][0]["h"] == 0
