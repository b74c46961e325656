"""plugins/wechat/client.py against the fake WeChat server (tests/doubles/wechat.py)."""

from __future__ import annotations

import asyncio
import hashlib

import httpx
import pytest

from tests.doubles.wechat import FakeWeChat  # also puts the repo root on sys.path

try:  # the installed package (editable install maps plugins/ to qudao.plugins)
    from qudao.plugins.wechat.client import (
        MemoryTokenStore,
        SendResult,
        WeChatClient,
        classify_errcode,
        signature_for,
        verify_signature,
    )
except ModuleNotFoundError:  # not installed: the source tree
    from plugins.wechat.client import (  # type: ignore[no-redef]
        MemoryTokenStore,
        SendResult,
        WeChatClient,
        classify_errcode,
        signature_for,
        verify_signature,
    )

APPID, SECRET = "wx_fake_app", "fake_secret"
OPENID = "oABCDEFGHIJKLMNOPQRSTUVWXYZ0"
TEMPLATE = "TPL_ORDER_SHIPPED"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake():
    with FakeWeChat(APPID, SECRET) as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(fake: FakeWeChat, clock: Clock):
    with WeChatClient(fake.base_url, APPID, SECRET, MemoryTokenStore(clock=clock), timeout=5) as c:
        yield c


def send(client: WeChatClient, openid: str = OPENID, **data: str) -> SendResult:
    return client.send_template(
        openid, TEMPLATE, data or {"thing1": "订单 42 已发货"}, url="https://example.test/o/42"
    )


def test_send_and_token_is_cached(fake: FakeWeChat, client: WeChatClient) -> None:
    first = send(client)
    second = send(client)
    assert first.status == "sent" and first.ok and first.errcode == 0 and first.msgid
    assert second.status == "sent" and second.msgid != first.msgid
    assert fake.token_requests == 1 and fake.stable_token_requests == 1
    assert [m["data"] for m in fake.sent] == [{"thing1": {"value": "订单 42 已发货"}}] * 2
    assert fake.sent[0]["url"] == "https://example.test/o/42"


def test_store_shared_between_clients(fake: FakeWeChat, clock: Clock) -> None:
    store = MemoryTokenStore(clock=clock)
    with (
        WeChatClient(fake.base_url, APPID, SECRET, store) as a,
        WeChatClient(fake.base_url, APPID, SECRET, store) as b,
    ):
        assert send(a).ok and send(b).ok
    assert fake.token_requests == 1


def test_token_refreshed_before_expiry_by_client_clock(
    fake: FakeWeChat, client: WeChatClient, clock: Clock
) -> None:
    assert send(client).ok
    clock.now += 7200 - 300  # inside the refresh margin: the store forgets the token
    fake.advance(7200)  # and WeChat considers it expired
    assert send(client).ok
    assert fake.token_requests == 2
    assert fake.send_attempts == 2  # no failed attempt with the stale token


def test_expired_token_refreshes_and_retries_once(fake: FakeWeChat, client: WeChatClient) -> None:
    assert send(client).ok
    fake.expire_tokens()  # the cached token now answers 42001
    result = send(client)
    assert result.status == "sent"
    assert fake.token_requests == 2
    assert fake.send_attempts == 3  # ok, 42001, ok
    assert fake.sent[0]["access_token"] != fake.sent[1]["access_token"]


def test_invalidated_token_refreshes(fake: FakeWeChat, client: WeChatClient) -> None:
    assert send(client).ok
    fake.invalidate_tokens()  # 40001
    assert send(client).ok
    assert fake.token_requests == 2


def test_token_error_twice_is_retry_not_a_loop(fake: FakeWeChat, client: WeChatClient) -> None:
    assert send(client).ok
    fake.fail_next(40001, times=5)
    result = send(client)
    assert result.status == "retry" and result.errcode == 40001
    assert fake.send_attempts == 1 + 2  # exactly one retry
    # The token was not really invalid: stable_token handed back the same one,
    # so the client asked for a forced refresh.
    assert fake.force_refreshes == 1


def test_permanent_errors(fake: FakeWeChat, client: WeChatClient) -> None:
    fake.unfollow("o_gone")
    result = send(client, openid="o_gone")
    assert result == SendResult("permanent", 43004, result.errmsg)
    assert "require subscribe" in (result.errmsg or "")

    fake.templates = {"TPL_OTHER"}
    assert send(client).status == "permanent"
    assert send(client).errcode == 40037
    assert fake.sent == []


def test_values_truncated_to_20_chars(fake: FakeWeChat, client: WeChatClient) -> None:
    long_value = "零一二三四五六七八九" * 3  # 30 characters
    result = send(client, thing1=long_value, amount3="¥1,234.00")
    assert result.ok
    assert fake.sent[0]["data"] == {"thing1": {"value": long_value[:20]}, "amount3": {"value": "¥1,234.00"}}


def test_fake_rejects_long_values_with_47003(fake: FakeWeChat) -> None:
    token = fake.issue_token()
    response = httpx.post(
        f"{fake.base_url}/cgi-bin/message/template/send",
        params={"access_token": token},
        json={"touser": OPENID, "template_id": TEMPLATE, "data": {"thing1": {"value": "x" * 21}}},
    )
    assert response.json()["errcode"] == 47003
    assert classify_errcode(47003).status == "permanent"


def test_daily_quota_is_retry_later(fake: FakeWeChat, client: WeChatClient) -> None:
    fake.fail_next(45009)
    result = send(client)
    assert result.status == "retry_later" and result.errcode == 45009
    assert result.retry_after is not None and 0 < result.retry_after <= 24 * 3600
    assert send(client).ok  # the injection is consumed

    fake.daily_quota = 1
    assert send(client).status == "retry_later"


def test_http_5xx_and_network_errors_are_retry(fake: FakeWeChat, client: WeChatClient) -> None:
    fake.fail_next_http(502, endpoint="send")
    result = send(client)
    assert result.status == "retry" and result.errcode is None and "502" in (result.errmsg or "")

    fake.fail_next_http(503, endpoint="token")
    with WeChatClient(fake.base_url, APPID, SECRET, MemoryTokenStore()) as fresh:
        assert send(fresh).status == "retry"

    dead_url = fake.base_url
    fake.stop()
    with WeChatClient(dead_url, APPID, SECRET, MemoryTokenStore(), timeout=2) as offline:
        result = send(offline)
    assert result.status == "retry" and result.errcode is None


def test_bad_secret_needs_a_human(fake: FakeWeChat) -> None:
    with WeChatClient(fake.base_url, APPID, "wrong", MemoryTokenStore()) as c:
        result = send(c)
    assert result.status == "retry_later" and result.errcode == 40125


def test_async_send(fake: FakeWeChat, clock: Clock) -> None:
    class AsyncStore:
        def __init__(self) -> None:
            self.inner = MemoryTokenStore(clock=clock)

        async def get(self, key: str) -> str | None:
            return self.inner.get(key)

        async def set(self, key: str, token: str, ttl: float) -> None:
            self.inner.set(key, token, ttl)

    client = WeChatClient(fake.base_url, APPID, SECRET, AsyncStore())

    async def scenario() -> list[SendResult]:
        first = await client.send_template_async(OPENID, TEMPLATE, {"thing1": "a"})
        fake.expire_tokens()
        second = await client.send_template_async(OPENID, TEMPLATE, {"thing1": "b" * 25})
        return [first, second]

    first, second = asyncio.run(scenario())
    assert first.ok and second.ok
    assert fake.token_requests == 2
    assert fake.sent[1]["data"] == {"thing1": {"value": "b" * 20}}


def test_secret_not_in_repr(client: WeChatClient) -> None:
    assert SECRET not in repr(client)


def test_verify_signature() -> None:
    token, timestamp, nonce = "callback-token", "1714000000", "839201"
    good = signature_for(token, timestamp, nonce)
    assert good == hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    assert verify_signature(token, timestamp, nonce, good)
    assert verify_signature(token, timestamp, nonce, good.upper())
    assert not verify_signature(token, timestamp, nonce, good[:-1] + ("0" if good[-1] != "0" else "1"))
    assert not verify_signature(token, "1714000001", nonce, good)
    assert not verify_signature("other-token", timestamp, nonce, good)
    assert not verify_signature(token, timestamp, nonce, "")
    assert not verify_signature(token, timestamp, nonce, "签名")
