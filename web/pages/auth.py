"""Tenant sign-in and sign-out pages (staff and buyers share them), API tokens page."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Response, Template
from sqlalchemy import delete, select

from qudao.core.auth import devices
from qudao.core.auth.models import ApiToken, User, WebSession
from qudao.core.auth.tokens import hash_session_id, issue_token
from qudao.core.db.base import utcnow
from qudao.core.errors import QudaoError
from qudao.web import i18n
from qudao.web.api.auth import check_login, remember_device
from qudao.web.context import SESSION_COOKIE, RequestContext, start_web_session
from qudao.web.pages.common import form_data, render
from qudao.web.pages.platform import session_cookie


def _safe_next(value: Any, base: str) -> str | None:
    return value if isinstance(value, str) and value.startswith(base + "/") and "//" not in value[1:] else None


def _to_login(ctx: RequestContext) -> Redirect:
    return Redirect(f"/t/{ctx.tenant.slug}/login")


@get("/login")
async def login_form(ctx: RequestContext, next: str | None = None) -> Template:  # noqa: A002
    return render(ctx, "auth/login.html", action=f"/t/{ctx.tenant.slug}/login", next=next,
                  home=f"/t/{ctx.tenant.slug}/")


@post("/login")
async def login(request: Request, ctx: RequestContext) -> Response[Any]:
    form = await form_data(request)
    base = f"/t/{ctx.tenant.slug}"
    try:
        user = await check_login(ctx, form.get("email"), form.get("password"), request)
    except QudaoError as exc:
        i18n.set_locale(ctx.tenant.locale)
        message = (i18n.gettext_("Email or password is wrong.") if exc.status == 401
                   else i18n.gettext_("Too many failed sign-ins; try again in 15 minutes."))
        return render(ctx, "auth/login.html", status_code=exc.status, action=f"{base}/login",
                      email=form.get("email"), error=message, next=form.get("next"), home=f"{base}/")
    # a fresh session id at every sign-in; drop any session the browser brought along
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await ctx.session.execute(delete(WebSession).where(WebSession.id_hash == hash_session_id(old)))
    raw = await start_web_session(ctx.session, tenant_id=ctx.tenant.id, user_id=user.id)
    await ctx.session.commit()
    target = _safe_next(form.get("next"), base) or (f"{base}/admin" if user.kind == "staff" else f"{base}/")
    resp = session_cookie(Redirect(target), raw)
    # this browser is now a known device of the account: a later lockout attack does not refuse it
    resp.set_cookie(devices.COOKIE, remember_device(request, ctx, user), max_age=devices.MAX_AGE, httponly=True,
                    samesite="lax", path="/")
    return resp


@post("/logout")
async def logout(request: Request, ctx: RequestContext) -> Response[Any]:
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        await ctx.session.execute(delete(WebSession).where(WebSession.id_hash == hash_session_id(raw)))
        await ctx.session.commit()
    resp = _to_login(ctx)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


@post("/logout-everywhere")
async def logout_everywhere(ctx: RequestContext) -> Response[Any]:
    if ctx.user is not None:
        await ctx.session.execute(delete(WebSession).where(WebSession.tenant_id == ctx.tenant.id,
                                                           WebSession.user_id == ctx.user.id))
        await ctx.session.commit()
    resp = _to_login(ctx)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


async def _account_page(ctx: RequestContext, new_token: Any) -> Response[Any]:
    """The account page: the user's API tokens, newest first; ``new_token`` is shown once, just made."""
    assert ctx.user is not None
    tokens = (await ctx.session.scalars(select(ApiToken).where(ApiToken.user_id == ctx.user.id)
                                        .order_by(ApiToken.created_at.desc()))).all()
    return render(ctx, "auth/account.html", tokens=tokens, new_token=new_token)


@get("/account")
async def account(ctx: RequestContext) -> Response[Any]:
    if ctx.user is None:
        return _to_login(ctx)
    return await _account_page(ctx, None)


@post("/account/tokens")
async def create_token_page(ctx: RequestContext, request: Request) -> Response[Any]:
    if ctx.user is None:
        return _to_login(ctx)
    form = await form_data(request)
    name = str(form.get("name") or "api")[:100]
    token = await issue_token(ctx.session, ctx.user, name=name)
    await ctx.session.commit()
    return await _account_page(ctx, token)


@post("/account/tokens/{token_id:int}/revoke")
async def revoke_token(ctx: RequestContext, token_id: int) -> Response[Any]:
    if ctx.user is None:
        return _to_login(ctx)
    token = await ctx.session.scalar(select(ApiToken).where(ApiToken.id == token_id,
                                                            ApiToken.user_id == ctx.user.id))
    if token is None:
        from qudao.core.errors import NotFound

        raise NotFound("no such token")
    token.revoked_at = utcnow()
    await ctx.session.commit()
    return Redirect(f"/t/{ctx.tenant.slug}/account")


@post("/account/language")
async def set_language(ctx: RequestContext, request: Request) -> Response[Any]:
    form = await form_data(request)
    code = form.get("locale")
    if ctx.user is not None and code in i18n.SUPPORTED:
        user = await ctx.session.get(User, (ctx.tenant.id, ctx.user.id))
        if user is not None:
            user.locale = code
            await ctx.session.commit()
    base = f"/t/{ctx.tenant.slug}"
    resp = Redirect(_safe_next(form.get("next"), base) or f"{base}/account")
    if code in i18n.SUPPORTED:
        resp.set_cookie("qd_lang", str(code), samesite="lax", max_age=365 * 86400)
    return resp


HANDLERS = [login_form, login, logout, logout_everywhere, account, create_token_page, revoke_token, set_language]
