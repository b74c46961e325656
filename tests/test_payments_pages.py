"""Payments pages: the buyer pays by card (with 3-D Secure) and from balance; staff record bank
transfers and refunds, edit split rules, onboard parties, read the settlement and reconciliation
reports."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from litestar.testing import TestClient

from tests import payments_support as support
from tests.conftest import PASSWORD, csrf_of, web_login
from tests.payments_support import Doubles, drain, make_shop, onboard_all

_localstripe, _connect, doubles, job_worker = (support._localstripe, support._connect, support.doubles,
                                               support.job_worker)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def post(web: TestClient[Any], url: str, data: dict[str, Any] | None = None) -> Any:
    resp = web.post(url, data={**(data or {}), "_csrf_token": csrf_of(web)}, follow_redirects=True)
    assert "Traceback" not in resp.text
    return resp


def buyer_email(shop: Any) -> str:
    email = f"pages-{shop.store.lower()}@buyer.test"
    shop.staff.ok("put", f"/customers/{shop.store}/users/{email}", {"password": PASSWORD})
    return email


def test_buyer_pays_by_card_with_3ds_then_sees_it_paid(client: TestClient[Any], web: TestClient[Any],
                                                        doubles: Doubles) -> None:
    shop = make_shop(client)
    onboard_all(shop, doubles)
    number = shop.order(qty=3)
    web_login(web, shop.staff.slug, buyer_email(shop))
    base = f"/t/{shop.staff.slug}"
    listing = web.get(f"{base}/payments/orders")
    assert listing.status_code == 200 and f'id="pay-{number}"' in listing.text
    page = web.get(f"{base}/payments/orders/{number}")
    assert page.status_code == 200 and 'id="card-form"' in page.text and "99.99" in page.text
    resp = post(web, f"{base}/payments/orders/{number}/card", {"card_number": "4000002760003184"})
    assert resp.status_code == 200 and 'id="three-d-secure"' in resp.text
    assert 'id="pay-status">unpaid' in resp.text.replace("未付", "unpaid") or "unpaid" in text_of(resp.text)
    action = re.search(r'action="([^"]+/authenticate)"', resp.text)
    assert action is not None
    done = post(web, action.group(1), {"success": "1"})
    assert done.status_code == 200 and 'id="card-form"' not in done.text
    drain()
    assert shop.buyer.ok("get", f"/orders/{number}/payment")["status"] == "paid"
    assert len(doubles.connect.transfers) == 2


def test_buyer_pays_from_balance_and_sees_refusal(client: TestClient[Any], web: TestClient[Any],
                                                  doubles: Doubles) -> None:
    shop = make_shop(client)
    number = shop.order(qty=1)
    web_login(web, shop.staff.slug, buyer_email(shop))
    base = f"/t/{shop.staff.slug}"
    refused = post(web, f"{base}/payments/orders/{number}/balance")
    assert refused.status_code == 200 and "top up" in refused.text
    shop.staff.ok("post", f"/balance/{shop.store}/topups", {"amount": "50"})
    paid = post(web, f"{base}/payments/orders/{number}/balance")
    assert paid.status_code == 200 and 'id="balance-form"' not in paid.text
    balance = web.get(f"{base}/payments/balance")
    assert "16.67" in balance.text


def test_admin_pages(client: TestClient[Any], web: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    number = shop.order(qty=3)
    web_login(web, shop.staff.slug, f"owner@{shop.staff.slug}.test")
    admin = f"/t/{shop.staff.slug}/admin/payments"
    for path in ("", "/settlement", "/reconciliation", "/rules", "/accounts", "/balances", f"/orders/{number}"):
        resp = web.get(admin + path)
        assert resp.status_code == 200, (path, resp.text[:300])
        assert 'id="payments-nav"' in resp.text
    bad = post(web, f"{admin}/orders/{number}/bank-transfer", {"amount": "500"})
    assert "at most" in unescape(bad.text)
    ok = post(web, f"{admin}/orders/{number}/bank-transfer", {"amount": "99.99", "reference": "SLIP-9"})
    assert "SLIP-9" in ok.text and 'id="settlement-lines"' in ok.text
    refund = post(web, f"{admin}/orders/{number}/refund", {"amount": "9.99", "reason": "damaged"})
    assert "damaged" in refund.text
    rules_bad = post(web, f"{admin}/rules", {"brand_percent": "50", "distributor_percent": "10"})
    assert "100 %" in unescape(rules_bad.text)
    rules_ok = post(web, f"{admin}/rules", {"brand_percent": "60", "distributor_percent": "30"})
    assert 'value="60"' in rules_ok.text
    topup = post(web, f"{admin}/balances", {"customer": shop.store, "amount": "20"})
    assert "20.00" in topup.text
    onboard = web.post(f"{admin}/accounts", data={"party": "brand", "_csrf_token": csrf_of(web)},
                       follow_redirects=False)
    assert onboard.status_code in (302, 303) and onboard.headers["location"].startswith(doubles.connect.base_url)
    report = web.get(f"{admin}/settlement")
    assert "brand" in report.text and 'id="settlement-report"' in report.text
    assert web.get(f"{admin}/settlement?from=bad").status_code == 200
    recon = web.get(f"{admin}/reconciliation")
    assert number in recon.text


def test_reconciliation_flags_unknown_transfer(client: TestClient[Any], web: TestClient[Any],
                                               doubles: Doubles) -> None:
    shop = make_shop(client)
    accounts = onboard_all(shop, doubles)
    number = shop.order(qty=1)
    created = shop.buyer.ok("post", f"/orders/{number}/payments", {"method": "card"})
    shop.buyer.ok("post", f"/orders/{number}/payments/{created['payment']['id']}/confirm",
                  {"payment_method": "pm_card_visa"})
    drain()
    assert shop.staff.ok("get", f"/settlement/reconciliation?order={number}")["mismatches"] == 0
    doubles.connect_client().v1.transfers.create({  # someone paid a party outside the ledger
        "amount": 100, "currency": "cny", "destination": accounts["brand"],
        "transfer_group": f"order:{shop.tenant_id}:{number}"})
    recon = shop.staff.ok("get", f"/settlement/reconciliation?order={number}")
    assert recon["mismatches"] == 1 and "not in the ledger" in recon["orders"][0]["issues"][0]
    web_login(web, shop.staff.slug, f"owner@{shop.staff.slug}.test")
    page = web.get(f"/t/{shop.staff.slug}/admin/payments/reconciliation")
    assert 'class="mismatch"' in page.text
