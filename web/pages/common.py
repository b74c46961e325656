"""Shared page helpers: rendering with tenant, user, menus and the right locale."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast
from urllib.parse import quote

from litestar import Request
from litestar.response import Redirect, Template

from qudao.core.errors import Forbidden, NotFound
from qudao.web import i18n
from qudao.web.context import RequestContext
from qudao.web.pages.nav import admin_nav, store_tabs


def locale_for(request: Request, ctx: RequestContext | None) -> str:
    """The user's stored choice, else the visitor's (cookie from the switch), else what the browser
    asks for (Accept-Language), else the tenant's default."""
    if ctx is not None and ctx.user is not None and ctx.user.locale in i18n.SUPPORTED:
        return str(ctx.user.locale)
    cookie = request.cookies.get("qd_lang")
    if cookie in i18n.SUPPORTED:
        return cookie
    asked = i18n.from_accept_language(request.headers.get("accept-language", ""))
    if asked:
        return asked
    return ctx.tenant.locale if ctx is not None else "zh_CN"


def render(ctx: RequestContext, template: str, status_code: int = 200, **context: Any) -> Template:
    request = ctx.request
    assert request is not None
    i18n.set_locale(locale_for(request, ctx))
    base = f"/t/{ctx.tenant.slug}"
    nav: dict[str, Any] = {}
    if template.startswith("admin/") or (ctx.user is not None and ctx.user.kind == "staff"):
        groups, active, group = admin_nav(ctx, base)
        nav = {"admin_nav": groups, "nav_active": active, "nav_group": group}
    tabs = store_tabs(ctx, base)
    return Template(template, status_code=status_code, context={
        "tenant": ctx.tenant, "user": ctx.user, "customer": ctx.customer, "base": base,
        "store_tabs": tabs, "store_menu": [(t.label, t.href) for t in tabs], "ctx": ctx,
        "locales": i18n.SUPPORTED, **nav, **context,
    })


def login_redirect(ctx: RequestContext) -> Redirect:
    assert ctx.request is not None
    target = quote(ctx.request.url.path)
    return Redirect(f"/t/{ctx.tenant.slug}/login?next={target}")


def staff_or_login(ctx: RequestContext, roles: tuple[str, ...] | None = None) -> Redirect | None:
    """Pages: anonymous users go to the login page; buyers are refused."""
    if ctx.user is None:
        return login_redirect(ctx)
    if ctx.user.kind != "staff":
        raise Forbidden("this page is for the brand's staff")
    if roles and ctx.user.role not in roles and ctx.user.role not in ("owner", "admin"):
        raise Forbidden(f"needs one of the roles: {', '.join(roles)}")
    return None


def buyer_or_login(ctx: RequestContext) -> Redirect | None:
    if ctx.user is None:
        return login_redirect(ctx)
    return None


Page = TypeVar("Page", bound=Callable[..., Awaitable[Any]])


def _guard(check: Callable[[RequestContext], Redirect | None]) -> Callable[[Page], Page]:
    """Run ``check`` before the page: its redirect is the answer, its refusal (Forbidden, NotFound)
    propagates as it would from the page's own first lines. The page keeps its signature, so
    Litestar injects the same parameters (by name: ``ctx`` need not come first)."""
    def decorate(page: Page) -> Page:
        @functools.wraps(page)
        async def guarded(*args: Any, **kwargs: Any) -> Any:
            if (redirect := check(kwargs["ctx"] if "ctx" in kwargs else args[0])) is not None:
                return redirect
            return await page(*args, **kwargs)
        return cast(Page, guarded)
    return decorate


def staff_page(roles: tuple[str, ...] | None = None) -> Callable[[Page], Page]:
    """A staff page (``@staff_page()``, or ``@staff_page(FINANCE)`` for a write): what
    ``staff_or_login`` answers, before the page runs."""
    return _guard(lambda ctx: staff_or_login(ctx, roles))


def buyer_page(page: Page) -> Page:
    """A signed-in page (``@buyer_page``): a visitor goes to the login page first."""
    return _guard(buyer_or_login)(page)


def account_page(missing: str, staff_to: str | None = None) -> Callable[[Page], Page]:
    """A buyer's own-account page: a visitor goes to the login page; a user without a customer
    gets 404 ``missing``, except staff when ``staff_to`` (a path below the tenant, e.g.
    ``/admin/credit``) says where their side of it is."""
    def check(ctx: RequestContext) -> Redirect | None:
        if (redirect := buyer_or_login(ctx)) is not None:
            return redirect
        if ctx.customer is None:
            if staff_to is not None and ctx.user is not None and ctx.user.kind == "staff":
                return Redirect(f"/t/{ctx.tenant.slug}{staff_to}")
            raise NotFound(missing)
        return None
    return _guard(check)


async def form_data(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: v for k, v in form.items() if k != "_csrf_token"}
