# ruff: noqa: F811
"""The scheduled close (rebates.close_due, idempotent) and the buyer's WeChat notice on approval."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from qudao.core.asyncutil import run_sync
from qudao.core.db.session import Database
from qudao.tenants.models import Tenant
from qudao.workers.broker import send
from tests.conftest import TenantAPI
from tests.rebates_support import Clock, clock, order, program, receive, shop  # noqa: F401
from tests.test_wechat_plugin import BUYER_OPENID, bind_oauth, configure
from tests.wechat_support import OAuthFakeWeChat, running_fake, wait_for_jobs


@pytest.fixture
def fake(client: Any) -> Iterator[OAuthFakeWeChat]:
    with running_fake() as server:
        yield server


def tenant_id(settings: Any, slug: str) -> int:
    async def go() -> int:
        db = Database(settings.database_url, settings.db_app_role)
        try:
            async with db.sessions() as s:
                return int(await s.scalar(select(Tenant.id).where(Tenant.slug == slug)))
        finally:
            await db.dispose()

    return run_sync(go())


def test_close_due_job_closes_ended_periods_once(tenant: TenantAPI, clock: Clock, test_settings: Any) -> None:
    shop(tenant)
    program(tenant, "Q", tiers=[{"from": "0.00", "percent": "1"}])
    program(tenant, "M", period="month", tiers=[{"from": "0.00", "percent": "2"}])
    buyer = tenant.buyer("C1")
    clock.set("2026-09-20T03:00:00")
    receive(tenant, buyer, order(buyer, {"A": 1})["number"])
    clock.set("2026-10-05T03:00:00")
    receive(tenant, buyer, order(buyer, {"B": 4})["number"])  # October: not ended yet
    tid = tenant_id(test_settings, tenant.slug)
    for _ in range(2):  # a duplicate delivery does nothing more
        send("rebates.close_due", {"tenant_id": tid})
        wait_for_jobs()
    entries = sorted((e["program"], e["period"], e["amount"]) for e in tenant.ok("get", "/rebates/entries"))
    assert entries == [("M", "2026-09", "20.00"), ("Q", "2026-Q3", "10.00")]
    # the admin's close of the same period answers with the job's entries
    again = tenant.ok("post", "/rebates/periods/close", {"program": "Q", "period": "2026-Q3"}, status=200)
    assert [e["amount"] for e in again["entries"]] == ["10.00"]


def test_approval_notifies_the_buyer_on_wechat_once(tenant: TenantAPI, clock: Clock,
                                                    fake: OAuthFakeWeChat) -> None:
    shop(tenant)
    program(tenant, "Q", name="季度返利", tiers=[{"from": "0.00", "percent": "1"}])
    buyer = tenant.buyer("C1")
    configure(tenant)
    bind_oauth(buyer, fake, BUYER_OPENID)
    clock.set("2026-09-20T03:00:00")
    receive(tenant, buyer, order(buyer, {"A": 10})["number"])
    clock.set("2026-10-05T03:00:00")
    [entry] = tenant.ok("post", "/rebates/periods/close", {"program": "Q", "period": "2026-Q3"})["entries"]
    wait_for_jobs()
    before = len(fake.sent)
    tenant.ok("post", f"/rebates/entries/{entry['id']}/approve", {}, status=200)
    wait_for_jobs()
    sent = [m for m in fake.sent[before:] if m["touser"] == BUYER_OPENID and m["template_id"] == "TPL_CUSTOMER_NOTICE"]
    assert len(sent) == 1 and sent[0]["data"]["thing1"]["value"] == "返利已到账"
    assert "100.00" in sent[0]["data"]["thing5"]["value"] or "返利" in sent[0]["data"]["thing5"]["value"]
