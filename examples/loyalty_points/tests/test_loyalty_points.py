"""The example plugin's own tests, on Qudao's test kit only (``qudao.testing``)."""

from __future__ import annotations

import re
from typing import Any

from qudao.testing import Shop, make_shop, web_login


def balance_on_home(web: Any, shop: Shop) -> int | None:
    """The points shown on the buyer's storefront home (None: no points panel)."""
    web.cookies.clear()
    web_login(web, shop.slug, shop.buyer_email)
    page = web.get(f"/t/{shop.slug}/")
    assert page.status_code == 200
    found = re.search(r'data-points="(\d+)"', page.text)
    return int(found.group(1)) if found else None


def test_points_earned_and_taken_back(qudao_shop: Shop, qudao_web: Any) -> None:
    qudao_shop.enable("loyalty_points", yuan_per_point=10)
    assert balance_on_home(qudao_web, qudao_shop) == 0
    kept = qudao_shop.place_order(qty=2)  # 200.00 -> 20 points
    cancelled = qudao_shop.place_order(qty=1)  # 100.00 -> 10 points
    assert balance_on_home(qudao_web, qudao_shop) == 30
    qudao_shop.buyer.ok("post", f"/orders/{cancelled['number']}/status", {"status": "cancelled"})
    assert balance_on_home(qudao_web, qudao_shop) == 20
    qudao_shop.set_status(kept["number"], "approved")
    assert balance_on_home(qudao_web, qudao_shop) == 20
    assert "我的积分" in qudao_web.get(f"/t/{qudao_shop.slug}/").text  # the plugin's zh_CN catalog


def test_off_for_other_brands(qudao_shop: Shop, qudao_client: Any, qudao_web: Any) -> None:
    qudao_shop.enable("loyalty_points")
    other = make_shop(qudao_client)
    other.place_order(qty=3)
    assert balance_on_home(qudao_web, other) is None


def test_settings_are_validated(qudao_shop: Shop) -> None:
    body = {"enabled": True, "settings": {"yuan_per_point": 0}}
    resp = qudao_shop.staff.put("/plugins/loyalty_points", body)
    assert resp.status_code == 422 and "yuan_per_point" in resp.text
