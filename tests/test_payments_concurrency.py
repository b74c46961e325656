"""Racing payments: parallel balance payments never overdraw the prepaid balance, one order is
never paid twice, and concurrent webhook deliveries record a card payment once (SQLite, PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from litestar.testing import TestClient

from qudao.plugins.payments.models import BalanceEntry, Payment, SettlementLine
from tests import payments_support as support
from tests.payments_support import Doubles, count_rows, drain, make_shop, post_event, signed_event

_localstripe, _connect, doubles, job_worker = (support._localstripe, support._connect, support.doubles,
                                               support.job_worker)


def race(calls: list[Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))

    def run(call: Any) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_parallel_balance_payments_never_overdraw(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    numbers = [shop.order(qty=1) for _ in range(8)]  # 8 × 33.33
    shop.staff.ok("post", f"/balance/{shop.store}/topups", {"amount": "100.00"})  # 3 fit
    shop.buyer.ok("get", f"/balance/{shop.store}")  # the token's first use writes; do it before the race

    def pay(number: str) -> Any:
        return lambda: shop.buyer.post(f"/orders/{number}/payments", json={"method": "balance"})

    responses = race([pay(n) for n in numbers])
    statuses = Counter(r.status_code for r in responses)
    assert statuses == Counter({201: 3, 422: 5}), [r.text for r in responses]
    assert all(r.json()["violations"][0]["code"] == "insufficient_balance" for r in responses if r.status_code == 422)
    assert shop.buyer.ok("get", f"/balance/{shop.store}")["balance"] == "0.01"
    assert count_rows(shop, BalanceEntry, BalanceEntry.kind == "pay") == 3
    assert count_rows(shop, Payment) == 3


def test_one_order_paid_once_under_double_clicks(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    number = shop.order(qty=1)
    shop.staff.ok("post", f"/balance/{shop.store}/topups", {"amount": "500.00"})
    shop.buyer.ok("get", f"/balance/{shop.store}")
    responses = race([lambda: shop.buyer.post(f"/orders/{number}/payments", json={"method": "balance"})
                      for _ in range(6)])
    statuses = Counter(r.status_code for r in responses)
    assert statuses[201] == 1 and statuses[409] == 5, [r.text for r in responses]
    assert shop.buyer.ok("get", f"/balance/{shop.store}")["balance"] == "466.67"
    assert count_rows(shop, SettlementLine) == 3


def test_concurrent_webhooks_record_the_payment_once(client: TestClient[Any], doubles: Doubles) -> None:
    shop = make_shop(client)
    number = shop.order(qty=3)
    created = shop.buyer.ok("post", f"/orders/{number}/payments", {"method": "card"})
    payments = doubles.payments_client()
    payments.v1.payment_intents.update(created["payment_intent"], {"payment_method": "pm_card_visa"})
    pi = payments.v1.payment_intents.confirm(created["payment_intent"]).to_dict()
    events = [signed_event(pi, "payment_intent.succeeded") for _ in range(4)]  # distinct ids
    events += [events[0]] * 4  # and the same one again
    responses = race([lambda e=e: post_event(client, *e) for e in events])
    assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
    drain()
    assert count_rows(shop, Payment, Payment.status == "succeeded") == 1
    assert count_rows(shop, SettlementLine) == 3
    assert shop.buyer.ok("get", f"/orders/{number}/payment")["paid"] == "99.99"
