"""The wechat plugin end to end against the fake WeChat server on 127.0.0.1: binding (OAuth,
QR scene), template messages for order events, token expiry, permanent and transient errors,
duplicate events, the outbox, forged callbacks and the plugin switched off."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from qudao.plugins.wechat import crypto
from qudao.plugins.wechat.client import signature_for
from qudao.plugins.wechat.messages import EVENTS
from tests.conftest import PASSWORD, TenantAPI
from tests.wechat_support import (
    APPID,
    CALLBACK_TOKEN,
    SECRET,
    OAuthFakeWeChat,
    running_fake,
    sql,
    wait_for_jobs,
)

TEMPLATES = {f"tpl_{event}": f"TPL_{event.upper()}" for event in EVENTS}
BUYER_OPENID = "oBuyer000000000000000000001"
OWNER_OPENID = "oOwner000000000000000000001"


@pytest.fixture
def fake(client: Any) -> Iterator[OAuthFakeWeChat]:
    with running_fake() as server:
        yield server


def configure(t: TenantAPI, **extra: Any) -> dict[str, Any]:
    settings = {"app_id": APPID, "app_secret": SECRET, "callback_token": CALLBACK_TOKEN, **TEMPLATES, **extra}
    return t.ok("put", "/plugins/wechat", {"enabled": True, "settings": settings})


def shop(t: TenantAPI) -> TenantAPI:
    t.ok("put", "/brands/acme", {"name": "Acme"})
    t.ok("put", "/products/TEA-1", {"name": "乌龙茶 500ml", "price": "10.00", "brand": "acme"})
    t.ok("put", "/warehouses/WH1", {"name": "Shanghai"})
    t.ok("put", "/warehouses/WH1/stock/TEA-1", {"on_hand": 1000})
    return t.buyer("C1", name="华东经销商")


def place(buyer: TenantAPI, qty: int = 2) -> str:
    return buyer.ok("post", "/orders", {"lines": [{"sku": "TEA-1", "qty": qty}]})["number"]


def bind_oauth(api: TenantAPI, fake: OAuthFakeWeChat, openid: str) -> None:
    state = api.ok("get", "/wechat/binding")["state"]
    resp = api.client.get("/wechat/oauth/callback", params={"code": fake.issue_code(openid), "state": state},
                          follow_redirects=False)
    assert resp.status_code in (302, 303), resp.text
    assert api.ok("get", "/wechat/binding")["bound"]


def messages(t: TenantAPI, **query: Any) -> list[dict[str, Any]]:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return t.ok("get", f"/wechat/messages?{qs}")["items"]


def signed(token: str = CALLBACK_TOKEN) -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), "8392011"
    return {"timestamp": timestamp, "nonce": nonce, "signature": signature_for(token, timestamp, nonce)}


def scene_event(openid: str, key: str, event: str = "subscribe") -> str:
    return (f"<xml><ToUserName><![CDATA[gh_fake]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>1714000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>")


def by_event(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {m["event"]: m for m in items}


# --- delivery ------------------------------------------------------------------------------


def test_order_events_reach_buyer_and_approver(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    buyer = shop(tenant)
    configure(tenant)
    bind_oauth(buyer, fake, BUYER_OPENID)
    # the owner binds through the QR scene code, pushed by WeChat to the server callback
    scene = tenant.ok("get", "/wechat/binding")["scene"]
    resp = tenant.client.post(f"/t/{tenant.slug}/api/v1/wechat/callback", params=signed(),
                              content=scene_event(OWNER_OPENID, f"qrscene_{scene}"))
    assert resp.status_code == 200 and resp.text == "success"
    assert tenant.ok("get", "/wechat/binding")["via"] == "scene"

    number = place(buyer)
    wait_for_jobs()
    sent = {(m["touser"], m["template_id"]): m for m in fake.sent}
    assert set(sent) == {(BUYER_OPENID, "TPL_ORDER_SUBMITTED"), (OWNER_OPENID, "TPL_STAFF_NEW_ORDER")}
    data = sent[(BUYER_OPENID, "TPL_ORDER_SUBMITTED")]["data"]
    assert data["character_string1"] == {"value": number}
    assert data["amount4"] == {"value": "¥20.00"}
    assert sent[(OWNER_OPENID, "TPL_STAFF_NEW_ORDER")]["data"]["thing5"] == {"value": "华东经销商"}
    assert sent[(BUYER_OPENID, "TPL_ORDER_SUBMITTED")]["url"].endswith(f"/t/{tenant.slug}/orders/{number}")

    tenant.ok("post", f"/orders/{number}/status", {"status": "approved"})
    tenant.ok("post", f"/orders/{number}/status", {"status": "picking"})
    tenant.ok("post", f"/orders/{number}/status", {"status": "shipped", "carrier": "顺丰速运",
                                                    "tracking_number": "SF1234567890"})
    tenant.ok("post", f"/orders/{number}/status", {"status": "delivered"})
    wait_for_jobs()
    to_buyer = [m for m in fake.sent if m["touser"] == BUYER_OPENID]
    # each event once; jobs run on parallel worker threads, so arrival order is not fixed
    assert sorted(m["template_id"] for m in to_buyer) == sorted([
        "TPL_ORDER_SUBMITTED", "TPL_ORDER_APPROVED", "TPL_ORDER_SHIPPED", "TPL_ORDER_DELIVERED"])
    shipped = next(m for m in to_buyer if m["template_id"] == "TPL_ORDER_SHIPPED")["data"]
    assert shipped["thing5"] == {"value": "顺丰速运"} and shipped["character_string6"] == {"value": "SF1234567890"}

    rejected = place(buyer)
    tenant.ok("post", f"/orders/{rejected}/status", {"status": "rejected", "note": "超出本月信用额度"})
    wait_for_jobs()
    [reason] = [m for m in fake.sent if m["template_id"] == "TPL_ORDER_REJECTED"]
    assert reason["touser"] == BUYER_OPENID and reason["data"]["character_string1"] == {"value": rejected}
    assert reason["data"]["thing5"] == {"value": "超出本月信用额度"}

    log = messages(tenant)
    assert len(log) == len(fake.sent) == 8
    assert {m["status"] for m in log} == {"sent"} and all(m["attempts"] == 1 for m in log)
    # stored tokens are encrypted, one per account
    rows = sql("select token from wechat_tokens t join tenants n on n.id = t.tenant_id where n.slug = :s",
               s=tenant.slug)
    assert len(rows) == 1 and rows[0][0].startswith(crypto.PREFIX)
    # one token for everything: two first sends may race to fetch it, but stable_token hands
    # both the same one, and it is never force-refreshed
    assert len({m["access_token"] for m in fake.sent}) == 1 and fake.force_refreshes == 0


def test_token_expiry_refreshes_and_retries_once(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    buyer = shop(tenant)
    configure(tenant)
    bind_oauth(buyer, fake, BUYER_OPENID)
    number = place(buyer)
    wait_for_jobs()
    assert fake.send_attempts == 1 and fake.token_requests == 1
    fake.expire_tokens()  # the cached token now answers 42001
    tenant.ok("post", f"/orders/{number}/status", {"status": "approved"})
    wait_for_jobs()
    assert fake.token_requests == 2
    assert fake.send_attempts == 3  # ok; 42001; ok with the fresh token
    assert fake.sent[0]["access_token"] != fake.sent[1]["access_token"]
    approved = by_event(messages(tenant))["order_approved"]
    assert approved["status"] == "sent" and approved["attempts"] == 1


def test_permanent_error_is_recorded_and_not_retried(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    buyer = shop(tenant)
    configure(tenant)
    bind_oauth(buyer, fake, BUYER_OPENID)
    fake.unfollow(BUYER_OPENID)  # 43004: the buyer no longer follows the account
    place(buyer)
    wait_for_jobs()
    msg = by_event(messages(tenant))["order_submitted"]
    assert msg["status"] == "failed_permanent" and msg["errcode"] == 43004 and msg["attempts"] == 1
    assert fake.send_attempts == 1 and fake.sent == []
    assert messages(tenant, status="failed_permanent")[0]["id"] == msg["id"]


def test_transient_failure_is_retried_and_sent_exactly_once(tenant: TenantAPI,
                                                            fake: OAuthFakeWeChat) -> None:
    buyer = shop(tenant)
    configure(tenant)
    bind_oauth(buyer, fake, BUYER_OPENID)
    fake.fail_next_http(502, endpoint="send")
    place(buyer)
    wait_for_jobs()
    msg = by_event(messages(tenant))["order_submitted"]
    assert msg["status"] == "sent" and msg["attempts"] == 2
    assert fake.send_attempts == 2 and len(fake.sent) == 1


def test_daily_quota_is_sent_again_by_a_timed_job(tenant: TenantAPI, fake: OAuthFakeWeChat,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUDAO_WECHAT_QUOTA_RETRY_DELAYS", "0.3,0.3")
    buyer = shop(tenant)
    configure(tenant)
    bind_oauth(buyer, fake, BUYER_OPENID)
    fake.fail_next(45009)
    place(buyer)
    msg = wait_for_status(tenant, "order_submitted", "retry_later")
    assert msg["errcode"] == 45009 and msg["next_attempt_at"] and msg["attempts"] == 1
    wait_for_jobs()  # the delayed re-send is a job too: waiting for the queues includes it
    msg = by_event(messages(tenant))["order_submitted"]
    assert msg["status"] == "sent" and msg["attempts"] == 2
    assert fake.send_attempts == 2 and len(fake.sent) == 1


def wait_for_status(t: TenantAPI, event: str, status: str, timeout: float = 20.0) -> dict[str, Any]:
    """Poll the log (waiting for the queues would also wait for delayed re-sends)."""
    deadline = time.monotonic() + timeout
    while True:
        found = by_event(messages(t)).get(event)
        if found is not None and found["status"] == status:
            return found
        assert time.monotonic() < deadline, f"{event} never became {status}: {found}"
        time.sleep(0.05)


def test_duplicate_event_makes_one_message(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    from qudao.workers.broker import send

    buyer = shop(tenant)
    configure(tenant)
    bind_oauth(buyer, fake, BUYER_OPENID)
    number = place(buyer)
    wait_for_jobs()
    assert len(fake.sent) == 1
    [(tenant_id, order_id)] = sql("select tenant_id, id from orders where number = :n and tenant_id = "
                                  "(select id from tenants where slug = :s)", n=number, s=tenant.slug)
    message_id = int(by_event(messages(tenant))["order_submitted"]["id"])
    # the same event delivered again (twice), and the send job itself delivered again
    for _ in range(2):
        send("wechat.notify", {"tenant_id": tenant_id, "order_id": order_id, "event": "order_submitted"})
    send("wechat.send", {"tenant_id": tenant_id, "message_id": message_id})
    wait_for_jobs()
    assert len(fake.sent) == 1 and fake.send_attempts == 1
    assert [m["event"] for m in messages(tenant)] == ["order_submitted"]


def test_outbox_when_no_account_is_configured(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    buyer = shop(tenant)
    tenant.ok("put", "/plugins/wechat", {"enabled": True})
    number = place(buyer)
    tenant.ok("post", f"/orders/{number}/status", {"status": "rejected", "note": "缺货"})
    wait_for_jobs()
    log = messages(tenant)
    assert {m["status"] for m in log} == {"outbox"}
    assert {(m["event"], m["recipient"].split("@")[0]) for m in log} == {
        ("order_submitted", buyer_email_prefix(log)), ("staff_new_order", "owner"),
        ("order_rejected", buyer_email_prefix(log))}
    assert fake.send_attempts == 0 and fake.token_requests == 0
    binding = buyer.ok("get", "/wechat/binding")
    assert binding["configured"] is False and binding["oauth_url"] is None

    # the admin's outbox page shows what would have been sent
    page = staff_page(tenant, "/admin/wechat/outbox")
    assert page.status_code == 200
    assert number in page.text and "缺货" in page.text and "owner@" in page.text
    log_page = staff_page(tenant, "/admin/wechat/messages?status=outbox")
    assert log_page.status_code == 200 and number in log_page.text


def buyer_email_prefix(log: list[dict[str, Any]]) -> str:
    return next(m["recipient"].split("@")[0] for m in log if m["event"] == "order_submitted")


def sign_in(t: TenantAPI, email: str | None = None) -> None:
    client = t.client
    client.cookies.clear()
    client.get(f"/t/{t.slug}/login")
    resp = client.post(f"/t/{t.slug}/login", data={"email": email or f"owner@{t.slug}.test", "password": PASSWORD,
                                                   "_csrf_token": client.cookies.get("qd_csrf") or ""},
                       follow_redirects=False)
    assert resp.status_code in (302, 303), resp.text


def form_post(t: TenantAPI, path: str, **data: str) -> Any:
    client = t.client
    return client.post(f"/t/{t.slug}{path}", data={**data, "_csrf_token": client.cookies.get("qd_csrf") or ""},
                       follow_redirects=False)


def staff_page(t: TenantAPI, path: str) -> Any:
    sign_in(t)
    try:
        return t.client.get(f"/t/{t.slug}{path}")
    finally:
        t.client.cookies.clear()


def test_my_wechat_pages_bind_and_unbind(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    buyer = shop(tenant)
    configure(tenant)
    bind_oauth(buyer, fake, BUYER_OPENID)
    me = buyer.client.get(buyer.url("/wechat/binding"), headers=buyer.headers).json()
    assert me["bound"] and me["openid"] != BUYER_OPENID  # masked
    client = tenant.client
    try:
        sign_in(tenant)
        page = client.get(f"/t/{tenant.slug}/admin/wechat/me")
        assert page.status_code == 200 and 'id="wechat-scene"' in page.text and "open.weixin.qq.com" in page.text
        assert "admin-menu" in page.text  # staff see it inside the admin layout
        # the buyer's page, bound through the API above: unbind with the form
        buyer_email = sql("select u.email from users u join tenants n on n.id = u.tenant_id "
                          "where n.slug = :s and u.kind = 'customer'", s=tenant.slug)[0][0]
        sign_in(tenant, buyer_email)
        page = client.get(f"/t/{tenant.slug}/wechat")
        assert page.status_code == 200 and "store-menu" in page.text and "/wechat/unbind" in page.text
        resp = form_post(tenant, "/wechat/unbind")
        assert resp.status_code in (302, 303) and resp.headers["location"].endswith("/wechat?done=unbound")
        assert not buyer.ok("get", "/wechat/binding")["bound"]
        # without the CSRF token nothing changes
        bind_oauth(buyer, fake, BUYER_OPENID)
        assert client.post(f"/t/{tenant.slug}/wechat/unbind", follow_redirects=False).status_code == 403
        assert buyer.ok("get", "/wechat/binding")["bound"]
    finally:
        client.cookies.clear()
    client.cookies.clear()
    assert client.get(f"/t/{tenant.slug}/wechat", follow_redirects=False).status_code in (302, 303)


def test_admin_can_send_a_waiting_message_again(tenant: TenantAPI, fake: OAuthFakeWeChat,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUDAO_WECHAT_QUOTA_RETRY_DELAYS", "3")
    buyer = shop(tenant)
    configure(tenant)
    bind_oauth(buyer, fake, BUYER_OPENID)
    fake.fail_next(45009)
    place(buyer)
    msg = wait_for_status(tenant, "order_submitted", "retry_later")
    try:
        sign_in(tenant)
        page = tenant.client.get(f"/t/{tenant.slug}/admin/wechat/messages")
        assert page.status_code == 200 and f"/admin/wechat/messages/{msg['id']}/retry" in page.text
        resp = form_post(tenant, f"/admin/wechat/messages/{msg['id']}/retry")
        assert resp.status_code in (302, 303)
        wait_for_status(tenant, "order_submitted", "sent")
        # the timed re-send still comes (after 3 s) and finds it sent: nothing goes out twice
        wait_for_jobs()
        assert messages(tenant, status="sent")[0]["id"] == msg["id"] and len(fake.sent) == 1
        assert fake.send_attempts == 2
        assert form_post(tenant, "/admin/wechat/messages/1/retry").status_code == 404
        assert form_post(tenant, "/admin/wechat/sweep").status_code in (302, 303)
    finally:
        tenant.client.cookies.clear()


# --- settings, binding, callbacks ------------------------------------------------------------


def test_secrets_are_stored_encrypted(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    answer = configure(tenant)
    assert answer["settings"]["app_secret"] == "********" and answer["settings"]["app_id"] == APPID
    [(raw,)] = sql("select p.settings from tenant_plugins p join tenants n on n.id = p.tenant_id "
                   "where n.slug = :s and p.name = 'wechat'", s=tenant.slug)
    stored = raw if isinstance(raw, str) else __import__("json").dumps(raw)
    assert SECRET not in stored and CALLBACK_TOKEN not in stored and crypto.PREFIX in stored
    # saving the form again with the mask keeps the secret; sending still works
    tenant.ok("put", "/plugins/wechat", {"enabled": True, "settings": {"app_secret": "********"}})
    buyer = shop(tenant)
    bind_oauth(buyer, fake, BUYER_OPENID)
    place(buyer)
    wait_for_jobs()
    assert len(fake.sent) == 1


def test_forged_or_expired_oauth_state_is_400_and_binds_nothing(tenant: TenantAPI,
                                                                 fake: OAuthFakeWeChat) -> None:
    buyer = shop(tenant)
    configure(tenant)
    state = buyer.ok("get", "/wechat/binding")["state"]
    tenant_part, user_part, issued, sig = state.split("Z")
    owner_user = tenant.ok("get", "/wechat/binding")["state"].split("Z")[1]
    forged = [
        "Z".join([tenant_part, owner_user, issued, sig]),  # someone else's user id under this signature
        state[:-1] + ("0" if state[-1] != "0" else "1"),  # a changed signature
        "not-a-state",
        "",
        crypto.oauth_state(int(tenant_part, 36), int(user_part, 36), now=time.time() - 2 * 3600),  # expired
        crypto.scene_code(int(tenant_part, 36), int(user_part, 36)),  # a scene code is not a state
    ]
    for bad in forged:
        resp = buyer.client.get("/wechat/oauth/callback", params={"code": fake.issue_code(BUYER_OPENID),
                                                                  "state": bad}, follow_redirects=False)
        assert resp.status_code == 400, (bad, resp.status_code, resp.text)
    # a code WeChat does not know is refused too
    resp = buyer.client.get("/wechat/oauth/callback", params={"code": "unknown", "state": state},
                            follow_redirects=False)
    assert resp.status_code == 400
    assert fake.oauth_requests == 1  # only the well-signed one reached WeChat
    assert not buyer.ok("get", "/wechat/binding")["bound"]
    assert not tenant.ok("get", "/wechat/binding")["bound"]
    assert sql("select count(*) from wechat_bindings b join tenants n on n.id = b.tenant_id where n.slug = :s",
               s=tenant.slug) == [(0,)]


def test_callback_signature_is_checked(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    shop(tenant)
    configure(tenant)
    url = f"/t/{tenant.slug}/api/v1/wechat/callback"
    client = tenant.client
    good = client.get(url, params={**signed(), "echostr": "echo-123"})
    assert good.status_code == 200 and good.text == "echo-123"
    assert client.get(url, params={**signed("wrong-token"), "echostr": "x"}).status_code == 400
    assert client.get(url, params={"echostr": "x"}).status_code == 400

    scene = tenant.ok("get", "/wechat/binding")["scene"]
    body = scene_event(OWNER_OPENID, f"qrscene_{scene}")
    assert client.post(url, params=signed("wrong-token"), content=body).status_code == 400
    assert client.post(url, content=body).status_code == 400
    assert not tenant.ok("get", "/wechat/binding")["bound"]
    # a forged scene code under a good signature binds nothing either
    forged_scene = scene[:-1] + ("0" if scene[-1] != "0" else "1")
    assert client.post(url, params=signed(), content=scene_event(OWNER_OPENID, forged_scene, "SCAN")).text == "success"
    assert not tenant.ok("get", "/wechat/binding")["bound"]
    # SCAN with the real code binds; unsubscribe unbinds
    assert client.post(url, params=signed(), content=scene_event(OWNER_OPENID, scene, "SCAN")).status_code == 200
    assert tenant.ok("get", "/wechat/binding")["bound"]
    client.post(url, params=signed(), content=scene_event(OWNER_OPENID, "", "unsubscribe"))
    assert not tenant.ok("get", "/wechat/binding")["bound"]
    # malformed XML is a 400, not a 500
    assert client.post(url, params=signed(), content=b"<xml><oops").status_code == 400
    assert client.post(url, params=signed(), content=b'<!DOCTYPE x [<!ENTITY a "b">]><xml/>').status_code == 400


def test_unbind(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    buyer = shop(tenant)
    configure(tenant)
    bind_oauth(buyer, fake, BUYER_OPENID)
    assert buyer.client.delete(buyer.url("/wechat/binding"), headers=buyer.headers).status_code == 204
    assert not buyer.ok("get", "/wechat/binding")["bound"]
    place(buyer)
    wait_for_jobs()
    assert messages(tenant) == [] and fake.sent == []  # with an account, only bound logins get rows


def test_plugin_off_sends_nothing(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    buyer = shop(tenant)
    configure(tenant)
    bind_oauth(buyer, fake, BUYER_OPENID)
    tenant.ok("put", "/plugins/wechat", {"enabled": False})
    assert tenant.get("/wechat/messages").status_code == 404
    assert buyer.get("/wechat/binding").status_code == 404
    number = place(buyer)
    tenant.ok("post", f"/orders/{number}/status", {"status": "approved"})
    wait_for_jobs()
    tenant.ok("put", "/plugins/wechat", {"enabled": True})
    assert messages(tenant) == []
    assert fake.sent == [] and fake.send_attempts == 0


@pytest.mark.parametrize("query", ["status=nope", "limit=0", "limit=abc"])
def test_message_log_bad_input(tenant: TenantAPI, query: str) -> None:
    tenant.ok("put", "/plugins/wechat", {"enabled": True})
    resp = tenant.get(f"/wechat/messages?{query}")
    assert resp.status_code in (400, 422), resp.text


def test_buyers_cannot_read_the_log_and_other_tenants_see_nothing(tenant: TenantAPI, other_tenant: TenantAPI,
                                                                  fake: OAuthFakeWeChat) -> None:
    buyer = shop(tenant)
    tenant.ok("put", "/plugins/wechat", {"enabled": True})
    other_tenant.ok("put", "/plugins/wechat", {"enabled": True})
    place(buyer)
    wait_for_jobs()
    assert len(messages(tenant)) == 2
    assert buyer.get("/wechat/messages").status_code == 403
    assert messages(other_tenant) == []
    message_id = messages(tenant)[0]["id"]
    assert other_tenant.post(f"/wechat/messages/{message_id}/retry").status_code == 404
