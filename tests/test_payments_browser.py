"""Done-when check in Chromium: a buyer pays an order by card against the Stripe test double
(3-D Secure step included), the worker splits it to the parties through the Connect double, and a
refund made in the admin reverses the shares."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests import payments_support as support
from tests.conftest import PASSWORD
from tests.payments_support import Doubles, drain, make_shop, onboard_all

_localstripe, _connect, doubles, job_worker = (support._localstripe, support._connect, support.doubles,
                                               support.job_worker)


def _login(page: Any, live_server: str, slug: str, email: str) -> None:  # noqa: F811
    page.goto(f"{live_server}/t/{slug}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_buyer_pays_by_card_in_chromium_and_refund_reverses(client: TestClient[Any], doubles: Doubles,
                                                             page: Any, live_server: str) -> None:  # noqa: F811
    shop = make_shop(client)
    accounts = onboard_all(shop, doubles)
    number = shop.order(qty=3)
    email = f"chromium-{shop.store.lower()}@buyer.test"
    shop.staff.ok("put", f"/customers/{shop.store}/users/{email}", {"password": PASSWORD})
    slug = shop.staff.slug

    _login(page, live_server, slug, email)
    page.goto(f"{live_server}/t/{slug}/")
    page.click("#store-menu a[href$='/payments/orders']")
    page.wait_for_url(f"**/t/{slug}/payments/orders")
    page.click(f"#pay-{number}")
    page.wait_for_url(f"**/payments/orders/{number}")
    assert page.locator("#pay-outstanding").inner_text() == "99.99"
    page.select_option("#card_number", "4000002760003184")  # the bank asks for 3-D Secure
    page.click("#pay-card")
    page.wait_for_selector("#three-d-secure")
    page.click("#authenticate-ok")
    page.wait_for_selector("#my-payments")
    assert page.locator("#pay-outstanding").inner_text() == "0.00"
    assert page.locator("#card-form").count() == 0

    drain()
    transfers = sorted((t["destination"], t["amount"]) for t in doubles.connect.transfers)
    assert transfers == sorted([(accounts["brand"], 6999), (accounts[f"customer:{shop.distributor}"], 2000)])

    page.context.clear_cookies()
    _login(page, live_server, slug, f"owner@{slug}.test")
    page.goto(f"{live_server}/t/{slug}/admin/payments/orders/{number}")
    assert "paid" in page.locator("#settlement-lines").inner_text()
    page.fill("#rf-amount", "99.99")
    page.fill("#rf-reason", "returned")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#refund-form button[type=submit]")
    page.wait_for_url("**?done=*")
    drain()
    assert sorted(r["amount"] for r in doubles.connect.reversals) == [2000, 6999]
    page.reload()
    assert page.locator("#pay-refundable").inner_text() == "0.00"
    assert page.locator("#settled-net").inner_text() == "0.00"
