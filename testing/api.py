"""Driving one tenant through the integration API (``/t/{slug}/api/v1``) as a given token."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

PASSWORD = "correct-horse-battery"
_counter = itertools.count()


def unique_slug(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class TenantAPI:
    """Drives one tenant through the API as a given token."""

    def __init__(self, client: Any, slug: str, token: str) -> None:
        self.client, self.slug, self.token = client, slug, token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def url(self, path: str) -> str:
        return f"/t/{self.slug}/api/v1{path}"

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(self.url(path), headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.put(self.url(path), json=json, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(self.url(path), json=json, headers={**self.headers, **kw.pop("headers", {})},
                                **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.patch(self.url(path), json=json, headers={**self.headers, **kw.pop("headers", {})},
                                 **kw)

    def ok(self, method: str, path: str, json: Any = None, status: int | tuple[int, ...] = (200, 201)) -> Any:
        resp = getattr(self, method)(path, json=json) if method != "get" else self.get(path)
        allowed = (status,) if isinstance(status, int) else status
        assert resp.status_code in allowed, f"{method.upper()} {path} -> {resp.status_code}: {resp.text}"
        return resp.json()

    def as_user(self, email: str, password: str = PASSWORD) -> TenantAPI:
        resp = self.client.post(self.url("/auth/token"), json={"email": email, "password": password})
        assert resp.status_code == 200, resp.text
        return TenantAPI(self.client, self.slug, resp.json()["token"])

    def buyer(self, customer: str, email: str | None = None, **customer_fields: Any) -> TenantAPI:
        """Create (or update) a customer and a buyer login for it; return the buyer's API."""
        self.ok("put", f"/customers/{customer}", {"name": customer_fields.pop("name", customer), **customer_fields})
        email = email or f"{customer.lower()}-{next(_counter)}@buyer.test"
        self.ok("put", f"/customers/{customer}/users/{email}", {"password": PASSWORD})
        return self.as_user(email)

    def enable(self, plugin: str, **settings: Any) -> Any:
        """Switch a plugin on for this tenant (as its owner), with settings if given."""
        body: dict[str, Any] = {"enabled": True}
        if settings:
            body["settings"] = settings
        return self.ok("put", f"/plugins/{plugin}", body)

    def disable(self, plugin: str) -> Any:
        return self.ok("put", f"/plugins/{plugin}", {"enabled": False})

    def place_order(self, lines: dict[str, int], **extra: Any) -> Any:
        """As a buyer: place an order of ``{sku: qty}``; returns the order (asserts 201)."""
        body = {"lines": [{"sku": sku, "qty": qty} for sku, qty in lines.items()], **extra}
        return self.ok("post", "/orders", body, status=201)

    def quote(self, lines: dict[str, int], **extra: Any) -> Any:
        body = {"lines": [{"sku": sku, "qty": qty} for sku, qty in lines.items()], **extra}
        return self.ok("post", "/cart/quote", body, status=200)


def signup(client: Any, slug: str | None = None) -> TenantAPI:
    """A new brand through ``POST /api/v1/signup``; returns its owner's API (``owner@{slug}.test``)."""
    slug = slug or unique_slug()
    resp = client.post("/api/v1/signup", json={"name": f"Brand {slug}", "slug": slug,
                                               "admin_email": f"owner@{slug}.test", "admin_password": PASSWORD})
    assert resp.status_code == 201, resp.text
    return TenantAPI(client, slug, resp.json()["token"])
