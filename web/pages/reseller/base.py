"""Helpers of the distributor back-office pages (routes only through ``section_page``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import get
from litestar.handlers import HTTPRouteHandler
from litestar.response import Redirect, Response, Template

from qudao.core.channels.scope import acting_reseller
from qudao.core.customers.models import Customer
from qudao.web.context import RequestContext
from qudao.web.pages.common import login_redirect
from qudao.web.pages.store.base import N_, page, use_locale

SECTIONS = [(N_("Overview"), ""), (N_("Orders"), "/orders"), (N_("Stores"), "/stores"), (N_("Prices"), "/prices"),
            (N_("Stock"), "/stock")]


def reseller_or_login(ctx: RequestContext) -> Customer | Redirect:
    """The acting distributor, or the sign-in page for a visitor (other logins: 404)."""
    use_locale(ctx)
    if ctx.user is None:
        return login_redirect(ctx)
    return acting_reseller(ctx)


async def rpage(ctx: RequestContext, template: str, section: str, status_code: int = 200, **kw: Any) -> Template:
    base = f"/t/{ctx.tenant.slug}/reseller"
    return await page(ctx, template, status_code=status_code, sections=[(label, base + p) for label, p in SECTIONS],
                      section=section, rbase=base, **kw)


def section_page(path: str, show: Callable[[RequestContext, Customer], Awaitable[Response[Any]]]) -> HTTPRouteHandler:
    """``GET {path}``: ``show(ctx, reseller)`` for the acting distributor (visitors go to sign in)."""

    async def section(ctx: RequestContext) -> Response[Any]:
        reseller = reseller_or_login(ctx)
        if isinstance(reseller, Redirect):
            return reseller
        return await show(ctx, reseller)

    section.__name__ = section.__qualname__ = show.__name__.lstrip("_")
    return get(path)(section)
