"""What the payment pages share: flash messages after post/redirect/get, URLs."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any
from urllib.parse import urlencode

from litestar import Request
from litestar.response import Redirect

from qudao.core.errors import InputError, QudaoError
from qudao.web.context import RequestContext
from qudao.web.pages.common import account_page

FINANCE = ("finance",)
TEST_CARDS = [("4242424242424242", "Visa 4242 — succeeds"),
              ("4000002760003184", "Visa 3184 — asks for 3-D Secure")]


buyers_only = account_page("buyers only")
"""A buyer's page (``@buyers_only``): the login page for a visitor, 404 for staff (no customer)."""


def message(exc: QudaoError) -> str:
    """A refusal as one line for the page's flash."""
    if isinstance(exc, InputError):
        return "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors)
    violations = getattr(exc, "violations", None)
    if violations:
        return "; ".join(v["message"] for v in violations)
    return exc.detail


def back(url: str, **params: str) -> Redirect:
    query = urlencode({k: v for k, v in params.items() if v})
    return Redirect(f"{url}?{query}" if query else url)


async def attempt(url: str, work: Awaitable[Any], done: str) -> Redirect:
    """Carry out a page's write and go back to ``url``: ``?done=`` on success, the refusal as
    ``?error=`` (post/redirect/get)."""
    try:
        await work
    except QudaoError as exc:
        return back(url, error=message(exc))
    return back(url, done=done)


def flash_of(request: Request) -> tuple[str | None, str]:
    error = request.query_params.get("error")
    if error:
        return error[:500], "error"
    done = request.query_params.get("done")
    return (done[:200], "ok") if done else (None, "ok")


def store_url(ctx: RequestContext) -> str:
    return f"/t/{ctx.tenant.slug}/payments"


def admin_url(ctx: RequestContext) -> str:
    return f"/t/{ctx.tenant.slug}/admin/payments"
