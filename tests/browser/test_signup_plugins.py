"""A brand signs up, lands in the admin, switches a plugin on and sees its menu entry."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import PASSWORD


def test_signup_login_toggle_plugin(page: Any, live_server: str) -> None:
    slug = f"b-{uuid.uuid4().hex[:8]}"
    page.goto(f"{live_server}/signup")
    page.fill("#name", "浏览器品牌")
    page.fill("#slug", slug)
    page.fill("#admin_email", f"owner@{slug}.test")
    page.fill("#admin_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/t/{slug}/admin")

    # sign out and back in through the login page
    page.click("header form.signout button")
    page.wait_for_url(f"**/t/{slug}/login")
    page.fill("#email", f"owner@{slug}.test")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/t/{slug}/admin")

    page.goto(f"{live_server}/t/{slug}/admin/plugins")
    row = page.locator("#plugin-credit")
    assert row.locator(".badge.off").count() == 1
    menu_before = page.locator("#admin-menu").inner_text()
    row.locator("button[data-plugin=credit]").click()
    page.wait_for_selector("#plugin-credit .badge.on")
    menu_after = page.locator("#admin-menu").inner_text()
    assert menu_after != menu_before, "switching credit on should add its admin menu entry"
    # switching it off again removes the entry
    page.locator("#plugin-credit button[data-plugin=credit]").click()
    page.wait_for_selector("#plugin-credit .badge.off")
    assert page.locator("#admin-menu").inner_text() == menu_before


def test_bad_signup_shows_errors_in_page(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/signup")
    page.fill("#name", "X")
    page.fill("#slug", "Bad Slug")
    page.fill("#admin_email", "nope@x.test")
    page.fill("#admin_password", "short-but-10")
    page.click("button[type=submit]")
    assert page.locator(".flash.error").is_visible()
    assert "slug" in page.locator(".flash.error").inner_text()
