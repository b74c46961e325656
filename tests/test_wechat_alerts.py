"""Low-stock and credit-warning WeChat messages, and timed re-sends after quota errors.

* ``qudao_stock_low`` fires from core inventory only when available stock crosses from above a
  product's threshold to at or below it: an order's reservation, on hand set lower, a stocktake,
  a transfer out. The wechat plugin messages owners, admins and warehouse staff (not order
  clerks), once per product, warehouse and day.
* ``qudao_credit_alert`` (fired here through the tenant's hook caller, as the credit plugin does)
  messages the customer's buyers, once per customer, kind and day.
* Delivery is proved against the fake WeChat server; with no account the messages are in the
  outbox. A quota error is re-sent by a delayed job with backoff and gives up after the last delay.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from qudao.core.asyncutil import run_sync
from qudao.core.db.session import Database
from qudao.core.plugins.context import TenantContext
from qudao.core.plugins.host import gather_hook, get_host
from qudao.plugins.wechat.messages import EVENTS
from qudao.tenants.models import Tenant
from qudao.workers.broker import send
from tests.conftest import PASSWORD, TenantAPI
from tests.test_admin_common import Staff
from tests.test_wechat_plugin import (
    BUYER_OPENID,
    OWNER_OPENID,
    bind_oauth,
    configure,
    messages,
    scene_event,
    signed,
    wait_for_status,
)
from tests.wechat_support import OAuthFakeWeChat, running_fake, sql, wait_for_jobs

WAREHOUSE_OPENID = "oWarehouse00000000000000001"
CLERK_OPENID = "oClerk000000000000000000001"
BUYER2_OPENID = "oBuyerTwo000000000000000001"
OTHER_OPENID = "oOtherBuyer0000000000000001"


@pytest.fixture
def fake(client: Any) -> Iterator[OAuthFakeWeChat]:
    with running_fake() as server:
        yield server


def stock_shop(t: TenantAPI, *, on_hand: int = 100, threshold: int = 10) -> TenantAPI:
    t.ok("put", "/products/TEA-1", {"name": "乌龙茶 500ml", "price": "10.00"})
    t.ok("put", "/products/TEA-2", {"name": "红茶 250g", "price": "12.00"})
    t.ok("put", "/warehouses/WH1", {"name": "上海仓"})
    t.ok("put", "/warehouses/WH2", {"name": "杭州仓"})
    for sku in ("TEA-1", "TEA-2"):
        t.ok("put", f"/warehouses/WH1/stock/{sku}", {"on_hand": on_hand})
    staff = Staff(t)
    try:
        for sku in ("TEA-1", "TEA-2"):
            resp = staff.post(f"/stock/product/{sku}/threshold", {"warehouse": "WH1", "low_threshold": str(threshold)})
            assert resp.status_code == 200, resp.text
    finally:
        t.client.cookies.clear()
    return t.buyer("C1", name="华东经销商", warehouse="WH1")


def staff_login(t: TenantAPI, role: str) -> TenantAPI:
    email = f"{role}@{t.slug}.test"
    t.ok("put", f"/staff/{email}", {"role": role, "password": PASSWORD})
    return t.as_user(email)


def bind_scene(t: TenantAPI, api: TenantAPI, openid: str) -> None:
    scene = api.ok("get", "/wechat/binding")["scene"]
    resp = t.client.post(f"/t/{t.slug}/api/v1/wechat/callback", params=signed(),
                         content=scene_event(openid, f"qrscene_{scene}"))
    assert resp.status_code == 200 and api.ok("get", "/wechat/binding")["bound"]


def order(buyer: TenantAPI, qty: int, sku: str = "TEA-1") -> str:
    return buyer.ok("post", "/orders", {"lines": [{"sku": sku, "qty": qty}]})["number"]


def low_sent(fake: OAuthFakeWeChat) -> list[dict[str, Any]]:
    return [m for m in fake.sent if m["template_id"] == "TPL_LOW_STOCK"]


def test_events_are_in_the_plugin_settings(tenant: TenantAPI) -> None:
    assert {"low_stock", "credit_warning"} <= set(EVENTS)
    settings = tenant.ok("put", "/plugins/wechat", {"enabled": True, "settings": {
        "on_low_stock": False, "tpl_low_stock": "T1", "tpl_credit_warning": "T2"}})["settings"]
    assert settings["on_low_stock"] is False and settings["tpl_low_stock"] == "T1"
    assert settings["on_credit_warning"] is True and settings["tpl_credit_warning"] == "T2"


def test_order_crossing_the_threshold_messages_stock_staff_once(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    buyer = stock_shop(tenant)
    configure(tenant)
    bind_scene(tenant, tenant, OWNER_OPENID)
    bind_scene(tenant, staff_login(tenant, "warehouse"), WAREHOUSE_OPENID)
    bind_scene(tenant, staff_login(tenant, "order_clerk"), CLERK_OPENID)  # hears of orders, not of stock
    bind_oauth(buyer, fake, BUYER_OPENID)

    order(buyer, 85)  # 100 -> 15: still above 10
    wait_for_jobs()
    assert low_sent(fake) == []
    order(buyer, 5)  # 15 -> 10: at the threshold – crossed
    wait_for_jobs()
    sent = low_sent(fake)
    assert sorted(m["touser"] for m in sent) == sorted([OWNER_OPENID, WAREHOUSE_OPENID])
    data = sent[0]["data"]
    assert data["character_string1"] == {"value": "TEA-1"} and data["number7"] == {"value": "10"}
    assert data["thing8"] == {"value": "上海仓"} and data["thing5"] == {"value": "乌龙茶 500ml"}
    assert data["phrase2"] == {"value": "库存不足"}
    assert sent[0]["url"].endswith(f"/t/{tenant.slug}/admin/stock/product/TEA-1")

    order(buyer, 1)  # 10 -> 9: already below, no new crossing
    order(buyer, 1, "TEA-2")  # the other product is far above its threshold
    wait_for_jobs()
    assert len(low_sent(fake)) == 2
    log = [m for m in messages(tenant) if m["event"] == "low_stock"]
    assert {m["status"] for m in log} == {"sent"} and len(log) == 2
    assert {m["event_id"].rsplit(":", 1)[0] for m in log} == {log[0]["event_id"].rsplit(":", 1)[0]}
    assert log[0]["event_id"].startswith("low_stock:")

    # flapping: stock received above the threshold and taken down again the same day – the
    # crossing fires the hook again, but the event id (per day) makes no second message
    tenant.ok("put", "/warehouses/WH1/stock/TEA-1", {"on_hand": 200})  # 91 reserved: 109 available
    order(buyer, 99)  # 109 -> 10: crossed once more
    wait_for_jobs()
    assert len(low_sent(fake)) == 2 and fake.send_attempts == len(fake.sent)


def test_manual_stock_changes_cross_the_threshold(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    stock_shop(tenant, on_hand=50, threshold=20)
    configure(tenant)
    bind_scene(tenant, tenant, OWNER_OPENID)
    staff = Staff(tenant)
    try:
        # on hand set lower, but still above: nothing
        assert staff.post("/stock/product/TEA-1/set", {"warehouse": "WH1", "on_hand": "30",
                                                       "note": "damaged"}).status_code == 200
        wait_for_jobs()
        assert low_sent(fake) == []
        # on hand set to the threshold: crossed
        staff.post("/stock/product/TEA-1/set", {"warehouse": "WH1", "on_hand": "20", "note": "recount"})
        wait_for_jobs()
        assert [m["data"]["character_string1"]["value"] for m in low_sent(fake)] == ["TEA-1"]
        # a stocktake takes TEA-2 below its threshold
        resp = staff.post("/stock/stocktake", {"warehouse": "WH1", "count[TEA-2]": "3"})
        assert resp.status_code == 200
        wait_for_jobs()
        assert sorted(m["data"]["character_string1"]["value"] for m in low_sent(fake)) == ["TEA-1", "TEA-2"]
        # raising stock never messages; a refused change (below reserved / bad input) neither
        staff.post("/stock/product/TEA-2/set", {"warehouse": "WH1", "on_hand": "90", "note": "delivery"})
        assert staff.post("/stock/product/TEA-2/set", {"warehouse": "WH1", "on_hand": "x",
                                                       "note": "oops"}).status_code == 422
        wait_for_jobs()
        assert len(low_sent(fake)) == 2
    finally:
        tenant.client.cookies.clear()


def test_transfer_out_crosses_in_the_source_warehouse(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    stock_shop(tenant, on_hand=30, threshold=10)
    configure(tenant)
    bind_scene(tenant, tenant, OWNER_OPENID)
    staff = Staff(tenant)
    try:
        resp = staff.post("/stock/product/TEA-1/move", {"kind": "transfer", "warehouse": "WH1",
                                                        "to_warehouse": "WH2", "qty": "25", "note": ""})
        assert resp.status_code == 200, resp.text
    finally:
        tenant.client.cookies.clear()
    wait_for_jobs()
    [sent] = low_sent(fake)
    assert sent["data"]["thing8"] == {"value": "上海仓"} and sent["data"]["number7"] == {"value": "5"}


def test_low_stock_goes_to_the_outbox_without_an_account(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    buyer = stock_shop(tenant, on_hand=12, threshold=10)
    tenant.ok("put", "/plugins/wechat", {"enabled": True})
    staff_login(tenant, "warehouse")
    staff_login(tenant, "finance")  # not a stock role
    order(buyer, 3)
    wait_for_jobs()
    log = [m for m in messages(tenant) if m["event"] == "low_stock"]
    assert {m["status"] for m in log} == {"outbox"}
    assert sorted(m["recipient"].split("@")[0] for m in log) == ["owner", "warehouse"]
    assert log[0]["data"]["number7"] == "9"
    assert fake.send_attempts == 0
    staff = Staff(tenant)
    try:
        page = staff.get("/wechat/outbox")
        assert page.status_code == 200 and "TEA-1" in page.text and "上海仓" in page.text
    finally:
        tenant.client.cookies.clear()


def test_low_stock_switched_off_or_plugin_off(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    buyer = stock_shop(tenant, on_hand=12, threshold=10)
    configure(tenant, on_low_stock=False)
    bind_scene(tenant, tenant, OWNER_OPENID)
    order(buyer, 2)
    wait_for_jobs()
    assert [m for m in messages(tenant) if m["event"] == "low_stock"] == []
    tenant.ok("put", "/plugins/wechat", {"enabled": False})
    tenant.ok("put", "/warehouses/WH1/stock/TEA-2", {"on_hand": 12})
    order(buyer, 3, "TEA-2")
    wait_for_jobs()
    tenant.ok("put", "/plugins/wechat", {"enabled": True, "settings": {"on_low_stock": True}})
    assert [m for m in messages(tenant) if m["event"] == "low_stock"] == []
    assert low_sent(fake) == []


# --- credit warnings ------------------------------------------------------------------------


def fire_credit_alert(t: TenantAPI, customer: str, kind: str, message: str, *, commit: bool = True) -> None:
    """Fire ``qudao_credit_alert`` through the tenant's hook caller, in a transaction, as the
    credit plugin does."""
    from qudao.core.config import get_settings
    from qudao.core.customers.models import Customer
    from qudao.web.context import load_plugin_states

    async def go() -> None:
        settings = get_settings()
        db = Database(settings.database_url, settings.db_app_role)
        try:
            async with db.sessions() as s:
                tenant = await s.scalar(select(Tenant).where(Tenant.slug == t.slug))
            assert tenant is not None
            async with db.session(tenant.id) as s:
                host = get_host()
                enabled, plugin_settings = await load_plugin_states(s, host)
                ctx = TenantContext(tenant=tenant, session=s, hooks=host.hooks_for(enabled),
                                    plugin_settings=plugin_settings)
                found = await s.scalar(select(Customer).where(Customer.code == customer))
                assert found is not None
                await gather_hook(ctx.hooks.qudao_credit_alert, ctx=ctx, customer_id=found.id, kind=kind,
                                  message=message)
                await (s.commit() if commit else s.rollback())
        finally:
            await db.dispose()

    run_sync(go())


def credit_sent(fake: OAuthFakeWeChat) -> list[dict[str, Any]]:
    return [m for m in fake.sent if m["template_id"] == "TPL_CREDIT_WARNING"]


def test_credit_warning_reaches_the_customers_buyers_once(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    tenant.ok("put", "/warehouses/WH1", {"name": "上海仓"})
    buyer = tenant.buyer("C1", name="华东经销商")
    second = tenant.ok("put", f"/customers/C1/users/second@{tenant.slug}.test", {"password": PASSWORD})
    assert second
    buyer2 = tenant.as_user(f"second@{tenant.slug}.test")
    other = tenant.buyer("C2")
    configure(tenant)
    bind_oauth(buyer, fake, BUYER_OPENID)
    bind_oauth(buyer2, fake, BUYER2_OPENID)
    bind_oauth(other, fake, OTHER_OPENID)
    bind_scene(tenant, tenant, OWNER_OPENID)

    fire_credit_alert(tenant, "C1", "near_limit", "已用信用额度 ¥8,500.00，占 85%，可用 ¥1,500.00")
    wait_for_jobs()  # jobs run on parallel worker threads: let the first alert be the first one sent
    fire_credit_alert(tenant, "C1", "near_limit", "again, the same day")  # a duplicate: no new message
    fire_credit_alert(tenant, "C1", "over_limit", "rolled back", commit=False)  # never committed: nothing
    wait_for_jobs()
    sent = credit_sent(fake)
    assert sorted(m["touser"] for m in sent) == sorted([BUYER_OPENID, BUYER2_OPENID])
    data = sent[0]["data"]
    assert data["phrase2"] == {"value": "额度将满"}
    assert data["thing5"]["value"] == "已用信用额度 ¥8,500.00，占 85%，可用 ¥1,500.00"[:20]
    assert sent[0]["url"] is None  # fired outside a request: no site to link to (in a request: …/credit)

    fire_credit_alert(tenant, "C1", "over_limit", "Your credit limit is now ¥5,000.00: please settle ¥3,500.00.")
    wait_for_jobs()
    kinds = sorted(m["data"]["phrase2"]["value"] for m in credit_sent(fake))
    assert kinds == ["超出额度", "超出额度", "额度将满", "额度将满"]
    log = [m for m in messages(tenant) if m["event"] == "credit_warning"]
    assert len(log) == 4 and {m["status"] for m in log} == {"sent"}
    assert all(m["event_id"].startswith("credit_warning:") for m in log)
    assert OTHER_OPENID not in {m["touser"] for m in fake.sent} and OWNER_OPENID not in {m["touser"] for m in
                                                                                          credit_sent(fake)}


def test_credit_plugin_warning_reaches_the_buyer(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    """End to end with the credit plugin: an order taking used credit past the warning share."""
    buyer = stock_shop(tenant)
    configure(tenant)
    bind_oauth(buyer, fake, BUYER_OPENID)
    tenant.ok("put", "/plugins/credit", {"enabled": True, "settings": {"warn_at_percent": 80}})
    tenant.ok("put", "/credit/C1", {"limit": "100.00"})
    order(buyer, 5)  # ¥50: below 80 %
    wait_for_jobs()
    assert credit_sent(fake) == []
    order(buyer, 4)  # ¥90: past 80 %
    wait_for_jobs()
    [sent] = credit_sent(fake)
    assert sent["touser"] == BUYER_OPENID and sent["data"]["phrase2"] == {"value": "额度将满"}
    assert sent["url"].endswith(f"/t/{tenant.slug}/credit")  # fired in the order's request
    [msg] = [m for m in messages(tenant) if m["event"] == "credit_warning"]
    assert msg["status"] == "sent" and msg["order"] is None


def test_credit_warning_outbox_and_bad_kind(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    tenant.ok("put", "/warehouses/WH1", {"name": "上海仓"})
    tenant.buyer("C1")
    tenant.ok("put", "/plugins/wechat", {"enabled": True})
    fire_credit_alert(tenant, "C1", "over_limit", "Your credit limit is now ¥5,000.00: please settle ¥3,500.00.")
    fire_credit_alert(tenant, "C1", "something_else", "ignored")
    wait_for_jobs()
    [msg] = [m for m in messages(tenant) if m["event"] == "credit_warning"]
    assert msg["status"] == "outbox" and msg["data"]["phrase2"] == "超出额度"
    assert "please settle" in msg["data"]["thing5"]
    assert fake.send_attempts == 0


# --- quota errors: timed re-sends -------------------------------------------------------------


def attempt_times(fake: OAuthFakeWeChat) -> list[float]:
    times: list[float] = []
    original = fake._send

    def timed(query: dict[str, str], raw: bytes) -> Any:
        times.append(time.monotonic())
        return original(query, raw)

    fake._send = timed  # type: ignore[method-assign]
    return times


def test_quota_errors_back_off_then_give_up(tenant: TenantAPI, fake: OAuthFakeWeChat,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUDAO_WECHAT_QUOTA_RETRY_DELAYS", "0.4,0.8")
    buyer = stock_shop(tenant)
    configure(tenant)
    bind_oauth(buyer, fake, BUYER_OPENID)
    times = attempt_times(fake)
    fake.fail_next(45009, times=10)
    order(buyer, 1)
    wait_for_jobs()
    msg = next(m for m in messages(tenant) if m["event"] == "order_submitted")
    assert msg["status"] == "failed_permanent" and msg["attempts"] == 3 and msg["errcode"] == 45009
    assert "gave up after 3 attempts" in msg["errmsg"]
    assert fake.send_attempts == 3 and fake.sent == []
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps[0] >= 0.4 and gaps[1] >= 0.8, gaps  # the backoff grows


def test_quota_resend_after_backoff_sends_once(tenant: TenantAPI, fake: OAuthFakeWeChat,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUDAO_WECHAT_QUOTA_RETRY_DELAYS", "0.5")
    buyer = stock_shop(tenant)
    configure(tenant)
    bind_oauth(buyer, fake, BUYER_OPENID)
    bind_scene(tenant, tenant, OWNER_OPENID)
    fake.fail_next(45009, times=2)  # both first sends (buyer's and approver's) hit the quota
    number = order(buyer, 1)
    waiting = wait_for_status(tenant, "order_submitted", "retry_later")
    # the send job delivered again before the message is due: it waits, sends nothing
    [(tenant_id,)] = sql("select id from tenants where slug = :s", s=tenant.slug)
    send("wechat.send", {"tenant_id": tenant_id, "message_id": int(waiting["id"])})
    wait_for_jobs()
    log = {m["event"]: m for m in messages(tenant)}
    assert log["order_submitted"]["status"] == "sent" and log["staff_new_order"]["status"] == "sent"
    assert log["order_submitted"]["attempts"] == 2
    assert fake.send_attempts == 4 and len(fake.sent) == 2
    assert {m["data"]["character_string1"]["value"] for m in fake.sent} == {number}


def test_stock_set_through_the_api_crosses_the_threshold(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    stock_shop(tenant, on_hand=50, threshold=20)
    configure(tenant)
    bind_scene(tenant, tenant, OWNER_OPENID)
    tenant.ok("put", "/warehouses/WH1/stock/TEA-1", {"on_hand": 25})
    wait_for_jobs()
    assert low_sent(fake) == []
    tenant.ok("put", "/warehouses/WH1/stock/TEA-1", {"on_hand": 19})
    wait_for_jobs()
    assert [m["data"]["character_string1"]["value"] for m in low_sent(fake)] == ["TEA-1"]


def fire_customer_notice(t: TenantAPI, customer: str, kind: str, key: str, message: str) -> None:
    """Fire ``qudao_customer_notice`` through the tenant's hook caller, as a plugin (rebates, tasks) does."""
    from qudao.core.config import get_settings
    from qudao.core.customers.models import Customer
    from qudao.web.context import load_plugin_states

    async def go() -> None:
        settings = get_settings()
        db = Database(settings.database_url, settings.db_app_role)
        try:
            async with db.sessions() as s:
                tenant = await s.scalar(select(Tenant).where(Tenant.slug == t.slug))
            assert tenant is not None
            async with db.session(tenant.id) as s:
                host = get_host()
                enabled, plugin_settings = await load_plugin_states(s, host)
                ctx = TenantContext(tenant=tenant, session=s, hooks=host.hooks_for(enabled),
                                    plugin_settings=plugin_settings)
                found = await s.scalar(select(Customer).where(Customer.code == customer))
                assert found is not None
                await gather_hook(ctx.hooks.qudao_customer_notice, ctx=ctx, customer_id=found.id, kind=kind,
                                  title="返利已到账", message=message, key=key, url="/rebates")
                await s.commit()
        finally:
            await db.dispose()

    run_sync(go())


def test_customer_notice_from_a_plugin_reaches_the_buyers_once_per_key(tenant: TenantAPI,
                                                                       fake: OAuthFakeWeChat) -> None:
    tenant.ok("put", "/warehouses/WH1", {"name": "上海仓"})
    buyer = tenant.buyer("C1", name="华东经销商")
    other = tenant.buyer("C2")
    configure(tenant)
    bind_oauth(buyer, fake, BUYER_OPENID)
    bind_oauth(other, fake, OTHER_OPENID)

    fire_customer_notice(tenant, "C1", "rebate_approved", "entry-1", "2026Q3 返利 ¥1,234.00 已到账")
    wait_for_jobs()
    fire_customer_notice(tenant, "C1", "rebate_approved", "entry-1", "a repeat of the same entry")
    fire_customer_notice(tenant, "C1", "rebate_approved", "entry-2", "second entry")
    wait_for_jobs()
    sent = [m for m in fake.sent if m["template_id"] == "TPL_CUSTOMER_NOTICE"]
    assert [m["touser"] for m in sent] == [BUYER_OPENID, BUYER_OPENID]
    assert sent[0]["data"]["thing1"]["value"] == "返利已到账"
    assert sent[0]["data"]["thing5"]["value"] == "2026Q3 返利 ¥1,234.00 已到账"[:20]
    log = [m for m in messages(tenant) if m["event"] == "customer_notice"]
    assert sorted(m["event_id"].split(":")[-1] for m in log) == ["entry-1", "entry-2"]
