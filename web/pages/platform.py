"""Platform pages: landing, brand signup, operator console."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Response, Template
from sqlalchemy import select

from qudao.core.auth import throttle
from qudao.core.auth.models import WebSession
from qudao.core.auth.passwords import verify_password
from qudao.core.auth.tokens import hash_session_id
from qudao.core.db.base import utcnow
from qudao.core.db.session import Database
from qudao.tenants.models import PlatformOperator, Tenant
from qudao.tenants.provisioning import SignupError, SignupInput, create_tenant
from qudao.web import i18n
from qudao.web.context import SESSION_COOKIE, SESSION_TTL, start_web_session
from qudao.web.pages.common import form_data


def _locale(request: Request) -> None:
    cookie = request.cookies.get("qd_lang")
    asked = i18n.from_accept_language(request.headers.get("accept-language", ""))
    i18n.set_locale(cookie if cookie in i18n.SUPPORTED else (asked or "zh_CN"))


def session_cookie(response: Response[Any], raw: str) -> Response[Any]:
    response.set_cookie(SESSION_COOKIE, raw, httponly=True, samesite="lax", max_age=int(SESSION_TTL.total_seconds()),
                        path="/")
    return response


async def _posted(request: Request) -> tuple[dict[str, Any], Database]:
    """A platform form post: the answer in the visitor's language, the form and the platform database."""
    _locale(request)
    return await form_data(request), request.app.state.db


def _login_page(status_code: int = 200, **context: Any) -> Template:
    """The operators' sign-in page (the tenants' login template, without a tenant)."""
    return Template("auth/login.html", status_code=status_code,
                    context={"action": "/platform/login", "tenant": None, **context})


@get("/", include_in_schema=False)
async def home(request: Request) -> Template:
    _locale(request)
    return Template("platform/home.html", context={"tenants": []})


@get("/signup", include_in_schema=False)
async def signup_form(request: Request) -> Template:
    _locale(request)
    return Template("platform/signup.html", context={"form": {}, "errors": []})


@post("/signup", include_in_schema=False)
async def signup_submit(request: Request) -> Response[Any]:
    form, db = await _posted(request)
    async with db.sessions() as session:
        try:
            tenant, owner = await create_tenant(session, SignupInput(
                form.get("name"), form.get("slug"), form.get("admin_email"), form.get("admin_password")))
        except SignupError as exc:
            return Template("platform/signup.html", status_code=422, context={"form": form, "errors": exc.errors})
        raw = await start_web_session(session, tenant_id=tenant.id, user_id=owner.id)
        await session.commit()
    return session_cookie(Redirect(f"/t/{tenant.slug}/admin"), raw)


@get("/platform", include_in_schema=False)
async def console(request: Request) -> Response[Any]:
    _locale(request)
    from qudao.core.plugins.host import PluginHost

    db: Database = request.app.state.db
    async with db.sessions() as session:
        raw = request.cookies.get(SESSION_COOKIE)
        ws = await session.get(WebSession, hash_session_id(raw)) if raw else None
        if ws is None or ws.operator_id is None or ws.expires_at < utcnow():
            return Redirect("/platform/login")
        tenants = (await session.scalars(select(Tenant).order_by(Tenant.created_at.desc()).limit(500))).all()
    host: PluginHost = request.app.state.host
    return Template("platform/console.html", context={"tenants": tenants, "plugins": list(host.metas.values())})


@get("/platform/login", include_in_schema=False)
async def platform_login_form(request: Request) -> Template:
    _locale(request)
    return _login_page()


@post("/platform/login", include_in_schema=False)
async def platform_login(request: Request) -> Response[Any]:
    form, db = await _posted(request)
    async with db.sessions() as session:
        email = str(form.get("email", "")).strip().lower()
        attempt = throttle.Attempt(f"platform:{email}", request.client.host if request.client else "?")
        verdict = await throttle.verdict(session, attempt)
        if verdict.refused:
            throttle.record(session, attempt, "throttled")
            await session.commit()
            return _login_page(429, email=email,
                               error=i18n.gettext_("Too many failed sign-ins; try again in 15 minutes."))
        await throttle.slow_down(verdict)
        op = await session.scalar(select(PlatformOperator).where(PlatformOperator.email == email))
        if not verify_password(str(form.get("password", "")), op.password_hash if op else None) or op is None:
            throttle.record(session, attempt, "failed")
            await session.commit()
            return _login_page(401, email=email, error=i18n.gettext_("Email or password is wrong."))
        throttle.record(session, attempt, "ok")
        raw = await start_web_session(session, tenant_id=None, operator_id=op.id)
        await session.commit()
    return session_cookie(Redirect("/platform"), raw)


@post("/platform/logout", include_in_schema=False)
async def platform_logout(request: Request) -> Response[Any]:
    raw = request.cookies.get(SESSION_COOKIE)
    db: Database = request.app.state.db
    if raw:
        async with db.sessions() as session:
            ws = await session.get(WebSession, hash_session_id(raw))
            if ws is not None:
                await session.delete(ws)
                await session.commit()
    resp = Redirect("/platform/login")
    resp.delete_cookie(SESSION_COOKIE)
    return resp


@get("/lang/{code:str}", include_in_schema=False)
async def switch_language(request: Request, code: str) -> Response[Any]:
    back = request.headers.get("referer") or "/"
    if not back.startswith(("/", str(request.base_url))):
        back = "/"
    resp = Redirect(back)
    if code in i18n.SUPPORTED:
        resp.set_cookie("qd_lang", code, samesite="lax", max_age=365 * 86400)
    return resp


HANDLERS = [home, signup_form, signup_submit, console, platform_login_form, platform_login, platform_logout,
            switch_language]
