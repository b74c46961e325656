"""QR codes for WeChat scene binding, against the fake WeChat on 127.0.0.1.

With an account configured, the binding page (``GET /wechat/binding``, the storefront's
``/wechat`` and the admin's ``/admin/wechat/me``) shows a temporary QR code created through
``/cgi-bin/qrcode/create`` (``QR_STR_SCENE``, 600 s) with the plugin's client: the ticket is
cached per login until shortly before it expires, a refused token is refreshed and the call
retried once, WeChat's errors are a message on a 200 page. Scanning it (``subscribe`` with
``qrscene_<scene>`` or ``SCAN``) binds the login; the consumed code is not shown again. With no
account, the page keeps the scene code and says the QR comes once the brand connects WeChat.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from qudao.core.db.base import utcnow
from qudao.plugins.wechat import qr
from qudao.plugins.wechat.client import MemoryTokenStore, WeChatClient, WeChatError
from tests.conftest import TenantAPI
from tests.test_wechat_plugin import configure, scene_event, sign_in, signed
from tests.wechat_support import APPID, SECRET, OAuthFakeWeChat, running_fake, sql

QR_BASE = "https://qr.example.test"
BUYER_OPENID = "oQrBuyer00000000000000000001"
OWNER_OPENID = "oQrOwner00000000000000000001"
OTHER_OPENID = "oQrOther00000000000000000001"


@pytest.fixture
def fake(client: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[OAuthFakeWeChat]:
    monkeypatch.setenv("QUDAO_WECHAT_QR_BASE", QR_BASE)
    with running_fake() as server:
        yield server


def buyer_of(t: TenantAPI) -> tuple[TenantAPI, str]:
    email = f"qr-buyer@{t.slug}.test"
    return t.buyer("C1", email=email, name="华东经销商"), email


def page(t: TenantAPI, path: str, email: str | None = None) -> Any:
    """A binding page signed in as ``email`` (default: the owner), in English."""
    client = t.client
    sign_in(t, email)
    client.cookies.set("qd_lang", "en")
    try:
        resp = client.get(f"/t/{t.slug}{path}")
        assert resp.status_code == 200, resp.text[:500]
        return resp
    finally:
        client.cookies.clear()


def ticket_of(qr_url: str) -> str:
    split = urlsplit(qr_url)
    assert f"{split.scheme}://{split.netloc}{split.path}" == f"{QR_BASE}/cgi-bin/showqrcode"
    [ticket] = parse_qs(split.query)["ticket"]
    return ticket


def callback(t: TenantAPI, openid: str, key: str, event: str) -> None:
    resp = t.client.post(f"/t/{t.slug}/api/v1/wechat/callback", params=signed(),
                         content=scene_event(openid, key, event))
    assert resp.status_code == 200 and resp.text == "success"


def img_src(html: str) -> str:
    match = re.search(r'id="wechat-qr".*?<img src="([^"]+)"', html, re.S)
    assert match, html
    return match.group(1)


def qr_rows(t: TenantAPI) -> int:
    return sql("select count(*) from wechat_qr_codes q join tenants n on n.id = q.tenant_id where n.slug = :s",
               s=t.slug)[0][0]


def shift_clock(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """The QR cache's clock, ``seconds`` ahead (the app runs in this process)."""
    monkeypatch.setattr(qr, "utcnow", lambda: utcnow() + timedelta(seconds=seconds))


# --- the image URL ------------------------------------------------------------------------


def test_image_url_encodes_the_ticket_and_its_base_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUDAO_WECHAT_QR_BASE", raising=False)
    assert qr.image_url("gQH4+a/b==") == "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH4%2Ba%2Fb%3D%3D"
    monkeypatch.setenv("QUDAO_WECHAT_QR_BASE", "http://127.0.0.1:9/")
    assert qr.image_url("t 1") == "http://127.0.0.1:9/cgi-bin/showqrcode?ticket=t%201"


def test_client_creates_a_ticket_and_retries_a_refused_token_once() -> None:
    with OAuthFakeWeChat(APPID, SECRET) as fake, \
            WeChatClient(fake.base_url, APPID, SECRET, MemoryTokenStore(), timeout=5) as client:
        ticket = client.create_qr_ticket("scene-1")
        assert fake.scene_of(ticket.ticket) == "scene-1" and ticket.expire_seconds == 600
        assert ticket.url.startswith("http://weixin.qq.com/q/")
        fake.invalidate_tokens()  # 40001: refreshed, then the call is made again
        assert fake.scene_of(client.create_qr_ticket("scene-2", 120).ticket) == "scene-2"
        assert fake.qr_requests == 3 and fake.token_requests == 2
        fake.fail_next_qr(40001, times=2)  # refused again after the refresh: no third try
        with pytest.raises(WeChatError) as info:
            client.create_qr_ticket("scene-3")
        assert info.value.errcode == 40001 and fake.qr_requests == 5
        fake.fail_next_qr(None)
        with pytest.raises(WeChatError) as info:
            client.create_qr_ticket("scene-3")
        assert info.value.errcode is None


# --- the binding page -----------------------------------------------------------------------


def test_qr_is_fetched_shown_and_cached(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    buyer, email = buyer_of(tenant)
    configure(tenant)
    before = utcnow()
    view = buyer.ok("get", "/wechat/binding")
    assert view["configured"] and not view["bound"] and view["qr_error"] is None
    ticket = ticket_of(view["qr_url"])
    [created] = fake.qr_created
    assert ticket == created["ticket"] and "+" in ticket and "/" in ticket  # encoded in the URL, decoded here
    assert created["scene"] == view["scene"] and created["access_token"]  # the QR carries the scene code
    expires_at = datetime.fromisoformat(view["expires_at"])
    assert before + timedelta(seconds=590) < expires_at < utcnow() + timedelta(seconds=610)

    # the storefront page twice and the API again: the same code, WeChat asked once
    for _ in range(2):
        html = page(tenant, "/wechat", email).text
        assert 'id="wechat-qr"' in html and f'src="{view["qr_url"]}"' in html
        assert f'id="wechat-scene">{view["scene"]}<' in html and 'hx-trigger="every 5s"' in html
    again = buyer.ok("get", "/wechat/binding")
    assert (again["qr_url"], again["scene"], again["expires_at"]) == (view["qr_url"], view["scene"],
                                                                      view["expires_at"])
    assert fake.qr_requests == 1 and fake.token_requests == 1 and qr_rows(tenant) == 1

    # staff have their own code on the admin page
    html = page(tenant, "/admin/wechat/me").text
    assert 'id="wechat-qr"' in html and "admin-menu" in html
    assert fake.qr_requests == 2 and {q["scene"] for q in fake.qr_created} == {
        view["scene"], tenant.ok("get", "/wechat/binding")["scene"]}
    assert fake.qr_requests == 2 and fake.token_requests == 1  # one token for both


def test_qr_is_renewed_shortly_before_it_expires(tenant: TenantAPI, fake: OAuthFakeWeChat,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    buyer, _email = buyer_of(tenant)
    configure(tenant)
    first = buyer.ok("get", "/wechat/binding")
    shift_clock(monkeypatch, 500)  # 100 s left: still shown
    assert buyer.ok("get", "/wechat/binding")["qr_url"] == first["qr_url"] and fake.qr_requests == 1
    shift_clock(monkeypatch, 550)  # under a minute left: a new scene and ticket
    second = buyer.ok("get", "/wechat/binding")
    assert fake.qr_requests == 2 and second["qr_url"] != first["qr_url"]
    assert fake.scene_of(ticket_of(second["qr_url"])) == second["scene"]
    assert datetime.fromisoformat(second["expires_at"]) > datetime.fromisoformat(first["expires_at"])
    assert buyer.ok("get", "/wechat/binding")["qr_url"] == second["qr_url"] and fake.qr_requests == 2
    assert qr_rows(tenant) == 1  # replaced, not added

    # WeChat grants less than asked: its expiry counts
    fake.qr_expire_seconds = 120
    shift_clock(monkeypatch, 1300)
    third = buyer.ok("get", "/wechat/binding")
    assert fake.qr_requests == 3
    left = datetime.fromisoformat(third["expires_at"]) - qr.utcnow()
    assert timedelta(seconds=100) < left < timedelta(seconds=130)


@pytest.mark.parametrize("spoil", ["expire_tokens", "invalidate_tokens"])
def test_a_refused_token_is_refreshed_and_the_call_retried_once(tenant: TenantAPI, fake: OAuthFakeWeChat,
                                                                 spoil: str) -> None:
    buyer, _email = buyer_of(tenant)
    configure(tenant)
    assert buyer.ok("get", "/wechat/binding")["qr_url"]
    assert fake.qr_requests == 1 and fake.token_requests == 1
    getattr(fake, spoil)()  # the cached token now answers 42001 / 40001
    view = tenant.ok("get", "/wechat/binding")  # the owner's first code
    assert view["qr_url"] and view["qr_error"] is None
    assert fake.qr_requests == 3 and fake.token_requests == 2  # refused; fresh token; accepted
    assert fake.qr_tokens[1] != fake.qr_tokens[2] and fake.qr_tokens[0] == fake.qr_tokens[1]
    assert fake.scene_of(ticket_of(view["qr_url"])) == view["scene"]

    # refused again after the refresh: no third try, a message and no ticket
    buyer2 = tenant.buyer("C2", email=f"qr-buyer2@{tenant.slug}.test")
    fake.fail_next_qr(40001, times=2)
    failed = buyer2.ok("get", "/wechat/binding")
    assert failed["qr_url"] is None and failed["expires_at"] is None and failed["qr_errcode"] == 40001
    assert "credentials" in failed["qr_error"] and fake.qr_requests == 5


ERRORS = [
    ("bad_secret", None, "credentials (AppID, AppSecret or server IP whitelist)"),
    ("quota", 45009, "limit for creating QR codes has been reached"),
    ("forbidden", 48001, "may not create QR codes (only verified service accounts"),
    ("unreachable", None, "could not be reached"),
    ("other", 40097, "could not create a QR code"),
]


@pytest.mark.parametrize(("case", "errcode", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_wechat_errors_are_a_clear_message_not_a_500(tenant: TenantAPI, fake: OAuthFakeWeChat, case: str,
                                                     errcode: int | None, message: str) -> None:
    buyer, email = buyer_of(tenant)
    if case == "bad_secret":
        configure(tenant, app_secret="not-the-secret")  # stable_token answers 40125
    else:
        configure(tenant)
        fake.fail_next_qr(errcode, times=2)  # None: HTTP 502
    view = buyer.ok("get", "/wechat/binding")
    assert view["qr_url"] is None and view["expires_at"] is None
    assert message in view["qr_error"] and view["scene"]
    assert view["qr_errcode"] == (40125 if case == "bad_secret" else errcode)
    html = page(tenant, "/wechat", email).text
    assert 'id="wechat-qr-error"' in html and message.replace("'", "&#39;") in html
    assert "showqrcode" not in html and 'id="wechat-scene"' in html and "every 5s" not in html
    assert qr_rows(tenant) == 0  # an error is not cached: the next load asks WeChat again
    if case != "bad_secret":
        assert fake.qr_requests == 2 and fake.qr_created == []
        assert ticket_of(buyer.ok("get", "/wechat/binding")["qr_url"]) == fake.qr_created[0]["ticket"]


def test_no_account_shows_the_scene_code_and_why_there_is_no_qr(tenant: TenantAPI,
                                                                  fake: OAuthFakeWeChat) -> None:
    buyer, email = buyer_of(tenant)
    tenant.ok("put", "/plugins/wechat", {"enabled": True})
    view = buyer.ok("get", "/wechat/binding")
    assert view["configured"] is False and view["qr_url"] is None and view["qr_error"] is None
    assert view["expires_at"] is None and view["scene"]
    html = page(tenant, "/wechat", email).text
    assert 'id="wechat-scene"' in html and 'id="wechat-qr-pending"' in html
    assert "The QR code to scan appears here once the brand connects its official account." in html
    assert "showqrcode" not in html and 'id="wechat-qr-error"' not in html
    assert fake.qr_requests == 0 and fake.token_requests == 0


# --- scanning it -------------------------------------------------------------------------------


def test_scanning_the_qr_binds_and_the_page_says_bound(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    buyer, email = buyer_of(tenant)
    configure(tenant)
    html = page(tenant, "/wechat", email).text
    [created] = fake.qr_created
    assert created["ticket"] == ticket_of(img_src(html).replace("&amp;", "&"))
    # a new follower scans: WeChat pushes subscribe with qrscene_<the scene inside the QR>
    callback(tenant, BUYER_OPENID, f"qrscene_{created['scene']}", "subscribe")
    view = buyer.ok("get", "/wechat/binding")
    assert view["bound"] and view["via"] == "scene" and view["qr_url"] is None
    html = page(tenant, "/wechat", email).text
    assert 'id="wechat-bound"' in html and "Your WeChat is bound" in html
    assert "showqrcode" not in html and created["scene"] not in html and 'id="wechat-scene"' not in html
    assert qr_rows(tenant) == 0 and fake.qr_requests == 1  # consumed; a bound login gets no new code
    # someone scanning a photo of the same code later does not take the binding over
    callback(tenant, OTHER_OPENID, created["scene"], "SCAN")
    assert sql("select b.openid from wechat_bindings b join tenants n on n.id = b.tenant_id "
               "where n.slug = :s", s=tenant.slug) == [(BUYER_OPENID,)]

    # staff: a follower's SCAN (no prefix) binds from the admin page's code
    assert 'id="wechat-qr"' in page(tenant, "/admin/wechat/me").text
    owner_scene = fake.qr_created[-1]["scene"]
    callback(tenant, OWNER_OPENID, owner_scene, "SCAN")
    html = page(tenant, "/admin/wechat/me").text
    assert 'id="wechat-bound"' in html and "showqrcode" not in html
    assert tenant.ok("get", "/wechat/binding")["via"] == "scene"

    # unbound again (unsubscribe): a new code, never the consumed ticket (the scene code itself
    # is the same string when issued within the same second)
    callback(tenant, BUYER_OPENID, "", "unsubscribe")
    view = buyer.ok("get", "/wechat/binding")
    assert not view["bound"] and view["qr_url"] and ticket_of(view["qr_url"]) != created["ticket"]
    assert fake.scene_of(ticket_of(view["qr_url"])) == view["scene"] and fake.qr_requests == 3


def test_oauth_binding_consumes_the_code_too(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:
    buyer, _email = buyer_of(tenant)
    configure(tenant)
    view = buyer.ok("get", "/wechat/binding")
    assert view["qr_url"] and qr_rows(tenant) == 1
    resp = buyer.client.get("/wechat/oauth/callback", params={"code": fake.issue_code(BUYER_OPENID),
                                                               "state": view["state"]}, follow_redirects=False)
    assert resp.status_code in (302, 303)
    assert qr_rows(tenant) == 0
    # the QR still on some screen is stale now: scanning it moves nothing
    callback(tenant, OTHER_OPENID, f"qrscene_{view['scene']}", "subscribe")
    assert buyer.ok("get", "/wechat/binding")["via"] == "oauth"
