"""Contract: signup, token, plugins, healthz."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSWORD, signup, unique_slug


def test_healthz(client: Any) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json()["status"] == "ok"


def test_signup_returns_tenant_and_token(client: Any) -> None:
    slug = unique_slug("acme")
    resp = client.post("/api/v1/signup", json={"name": "Acme 食品", "slug": slug,
                                               "admin_email": "boss@acme.test", "admin_password": PASSWORD})
    assert resp.status_code == 201
    body = resp.json()
    assert body["tenant"] == {"slug": slug, "name": "Acme 食品"}
    plugins = client.get(f"/t/{slug}/api/v1/plugins", headers={"Authorization": f"Bearer {body['token']}"})
    assert plugins.status_code == 200


def test_signup_slug_taken_is_409(client: Any) -> None:
    t = signup(client)
    resp = client.post("/api/v1/signup", json={"name": "Other", "slug": t.slug, "admin_email": "x@y.test",
                                               "admin_password": PASSWORD})
    assert resp.status_code == 409
    assert resp.headers["content-type"].startswith("application/problem+json")


def test_signup_bad_input_is_422_and_stores_nothing(client: Any) -> None:
    slug = unique_slug()
    for body, field in [
        ({"name": "A", "slug": "Bad Slug!", "admin_email": "a@b.test", "admin_password": PASSWORD}, "slug"),
        ({"name": "A", "slug": slug, "admin_email": "not-an-email", "admin_password": PASSWORD}, "admin_email"),
        ({"name": "A", "slug": slug, "admin_email": "a@b.test", "admin_password": "short"}, "admin_password"),
    ]:
        resp = client.post("/api/v1/signup", json=body)
        assert resp.status_code == 422, resp.text
        problem = resp.json()
        assert problem["status"] == 422 and problem["title"] and problem["detail"]
        assert field in [e["field"] for e in problem["errors"]]
    # nothing was stored: the slug is still free
    ok = client.post("/api/v1/signup", json={"name": "A", "slug": slug, "admin_email": "a@b.test",
                                             "admin_password": PASSWORD})
    assert ok.status_code == 201


def test_signup_garbage_bodies_never_500(client: Any) -> None:
    for raw in [b"", b"not json", b"[]", b"{\"slug\": 5}", b"null", "{\"name\": \"\u0000\"}".encode()]:
        resp = client.post("/api/v1/signup", content=raw, headers={"content-type": "application/json"})
        assert resp.status_code in (400, 422), (raw, resp.status_code, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")


def test_token_same_answer_for_unknown_email_and_wrong_password(client: Any, tenant: Any) -> None:
    url = tenant.url("/auth/token")
    wrong = client.post(url, json={"email": f"owner@{tenant.slug}.test", "password": "wrong-password-1"})
    unknown = client.post(url, json={"email": "nobody@nowhere.test", "password": "wrong-password-1"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    good = client.post(url, json={"email": f"owner@{tenant.slug}.test", "password": PASSWORD})
    assert good.status_code == 200
    assert good.json()["kind"] == "staff"
    assert good.json()["token"]


def test_login_throttled_per_account(client: Any, tenant: Any) -> None:
    url = tenant.url("/auth/token")
    email = f"owner@{tenant.slug}.test"
    codes = [client.post(url, json={"email": email, "password": "wrong-password-x"}).status_code for _ in range(11)]
    assert codes[:10] == [401] * 10
    assert codes[10] == 429
    # even the right password is refused while throttled
    assert client.post(url, json={"email": email, "password": PASSWORD}).status_code == 429


def test_plugins_list_and_toggle(tenant: Any) -> None:
    plugins = tenant.ok("get", "/plugins")
    names = {p["name"] for p in plugins}
    assert {"promotions", "credit", "guest_checkout", "brand_isolation", "wechat"} <= names
    for p in plugins:
        assert set(p) >= {"name", "title", "version", "enabled"}
        assert p["enabled"] is False
    on = tenant.ok("put", "/plugins/credit", {"enabled": True})
    assert on["enabled"] is True and on["name"] == "credit"
    assert {p["name"]: p["enabled"] for p in tenant.ok("get", "/plugins")}["credit"] is True
    off = tenant.ok("put", "/plugins/credit", {"enabled": False})
    assert off["enabled"] is False


def test_plugin_unknown_404_and_bad_settings_422(tenant: Any) -> None:
    assert tenant.put("/plugins/nope", json={"enabled": True}).status_code == 404
    assert tenant.put("/plugins/credit", json={"enabled": "yes"}).status_code == 422
    resp = tenant.put("/plugins/credit", json={"enabled": True, "settings": {"no_such_setting": 1}})
    assert resp.status_code == 422
    assert tenant.ok("get", "/plugins") and not {p["name"]: p["enabled"] for p in tenant.ok("get", "/plugins")}["credit"]


def test_token_of_other_tenant_is_404(client: Any, tenant: Any, other_tenant: Any) -> None:
    resp = client.get(other_tenant.url("/plugins"), headers=tenant.headers)
    assert resp.status_code == 404


def test_missing_or_bad_token_is_401(client: Any, tenant: Any) -> None:
    assert client.get(tenant.url("/plugins")).status_code == 401
    assert client.get(tenant.url("/plugins"), headers={"Authorization": "Bearer qd_1_nope"}).status_code == 401
    assert client.get(tenant.url("/plugins"), headers={"Authorization": "Basic abc"}).status_code == 401


def test_unknown_tenant_is_404(client: Any, tenant: Any) -> None:
    assert client.get("/t/no-such-brand-xyz/api/v1/plugins", headers=tenant.headers).status_code == 404


def test_openapi_schema(client: Any) -> None:
    resp = client.get("/schema/openapi.json")
    assert resp.status_code == 200
    assert "/api/v1/signup" in resp.json()["paths"]
