# ruff: noqa: F811
"""Admin settings page: ordering rules through parse_ordering (same as the API)."""

from __future__ import annotations

from tests.test_admin_common import Staff, staff, text_of  # noqa: F401


def test_ordering_rules_form(staff: Staff) -> None:
    resp = staff.post("/settings", {"min_order_amount": "100.00", "min_order_qty": "5", "window_start": "22:00",
                                    "window_end": "02:00", "count_in_transit": "false"})
    assert resp.status_code == 200
    assert staff.api.ok("get", "/settings/ordering") == {
        "min_order_amount": "100.00", "min_order_qty": 5, "order_window": {"start": "22:00", "end": "02:00"}}
    assert 'value="22:00"' in staff.get("/settings").text
    resp = staff.post("/settings", {"min_order_amount": "-1", "min_order_qty": "x", "window_start": "25:00",
                                    "window_end": "02:00"})
    assert resp.status_code == 422
    for f in ("min_order_amount", "min_order_qty", "window_start"):
        assert f'data-field="{f}"' in resp.text, f
    assert staff.api.ok("get", "/settings/ordering")["min_order_amount"] == "100.00"
    resp = staff.post("/settings", {"min_order_amount": "", "min_order_qty": "", "window_start": "",
                                    "window_end": ""})
    assert staff.api.ok("get", "/settings/ordering") == {
        "min_order_amount": None, "min_order_qty": None, "order_window": None}
