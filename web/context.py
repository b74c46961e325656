"""Per-request tenant context: resolve the tenant, bind it, load plugins, authenticate.

One dependency does it for every tenant route, so no handler can forget to bind
the tenant. A plugin route (``opt["plugin"]``) answers 404 while its plugin is off.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import Any

from litestar import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.auth.models import User, WebSession
from qudao.core.auth.tokens import hash_session_id, login_for_token, parse_token
from qudao.core.customers.models import Customer
from qudao.core.db.base import utcnow
from qudao.core.db.session import Database
from qudao.core.errors import Forbidden, NotFound, Unauthorized
from qudao.core.plugins.context import TenantContext
from qudao.core.plugins.host import PluginHost
from qudao.core.plugins.models import PluginState
from qudao.tenants import cache as tenant_cache
from qudao.tenants.models import Tenant

SESSION_COOKIE = "qd_session"
SESSION_TTL = timedelta(days=14)


class RequestContext(TenantContext):
    """TenantContext plus what only the web layer knows."""

    request: Request | None = None
    via_token: bool = False


async def load_plugin_states(session: AsyncSession, host: PluginHost) -> tuple[frozenset[str], dict[str, Any]]:
    rows = (await session.execute(select(PluginState.name, PluginState.enabled, PluginState.settings))).all()
    enabled = frozenset(r.name for r in rows if r.enabled and r.name in host.metas)
    settings = {name: host.metas[name].defaults() for name in host.names}
    for r in rows:
        if r.name in settings:
            settings[r.name] = {**settings[r.name], **(r.settings or {})}
    return enabled, settings


async def build_context(request: Request, session: AsyncSession, slug: str, *, api: bool) -> RequestContext:
    state = request.app.state
    host: PluginHost = state.host
    tenant, enabled, plugin_settings = await tenant_cache.resolve(session, slug, host)
    if tenant is None or tenant.status != "active":
        raise NotFound(f"no brand '{slug}'")
    plugin = request.route_handler.opt.get("plugin")
    if plugin and plugin not in enabled:
        raise NotFound("not found")
    ctx = RequestContext(tenant=tenant, session=session, hooks=host.hooks_for(enabled),
                         plugin_settings=plugin_settings)
    ctx.request = request
    found = await _authenticate(request, session, tenant, api=api)
    if found is not None:
        user, customer, looked_up = found
        ctx.via_token = api
        ctx.user = user
        if user.kind == "customer" and user.customer_id is not None:
            # the token's query brings the customer along; a cookie login reads it here
            ctx.customer = customer if looked_up else await session.get(Customer, (tenant.id, user.customer_id))
            if ctx.customer is None or ctx.customer.status != "active":
                ctx.user = None
                ctx.customer = None
    request.state.tenant_slug = tenant.slug
    request.state.tenant_id = tenant.id
    return ctx


async def _authenticate(request: Request, session: AsyncSession, tenant: Tenant, *, api: bool
                        ) -> tuple[User, Customer | None, bool] | None:
    """The signed-in user, its customer and whether that was looked up (a token's query does)."""
    header = request.headers.get("authorization", "")
    if header:
        if not header.lower().startswith("bearer "):
            raise Unauthorized("use 'Authorization: Bearer <token>'")
        parsed = parse_token(header[7:].strip())
        if parsed is None:
            raise Unauthorized("invalid or revoked token")
        token_tenant, secret = parsed
        if token_tenant != tenant.id:
            raise NotFound("not found")
        found = await login_for_token(session, secret)
        if found is None:
            raise Unauthorized("invalid or revoked token")
        return found[0], found[1], True
    if api:
        return None
    user = await user_for_cookie(request, session, tenant.id)
    return None if user is None else (user, None, False)


async def user_for_cookie(request: Request, session: AsyncSession, tenant_id: int) -> User | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    ws = await session.get(WebSession, hash_session_id(raw))
    if ws is None or ws.tenant_id != tenant_id or ws.user_id is None or ws.expires_at < utcnow():
        return None
    user = await session.get(User, (tenant_id, ws.user_id))
    if user is None or not user.active:
        return None
    return user


async def start_web_session(session: AsyncSession, *, tenant_id: int | None, user_id: int | None = None,
                            operator_id: int | None = None) -> str:
    """A brand-new session id at every login (no fixation)."""
    raw = secrets.token_urlsafe(32)
    session.add(WebSession(id_hash=hash_session_id(raw), tenant_id=tenant_id, user_id=user_id,
                           operator_id=operator_id, expires_at=utcnow() + SESSION_TTL))
    return raw


def require_staff(ctx: TenantContext, roles: tuple[str, ...] | None = None) -> User:
    if ctx.user is None:
        raise Unauthorized("sign in first")
    if ctx.user.kind != "staff":
        raise Forbidden("staff only")
    if roles and ctx.user.role not in roles and ctx.user.role not in ("owner", "admin"):
        raise Forbidden(f"needs one of the roles: {', '.join(roles)}")
    return ctx.user


def require_admin(ctx: TenantContext) -> User:
    user = require_staff(ctx)
    if user.role not in ("owner", "admin"):
        raise Forbidden("tenant admins only")
    return user


def require_buyer(ctx: TenantContext) -> Customer:
    if ctx.user is None:
        raise Unauthorized("sign in first")
    if ctx.customer is None:
        raise Forbidden("customer buyers only")
    return ctx.customer


def require_user(ctx: TenantContext) -> User:
    if ctx.user is None:
        raise Unauthorized("sign in first")
    return ctx.user


async def provide_api_ctx(request: Request, tenant_slug: str) -> AsyncGenerator[RequestContext, None]:
    db: Database = request.app.state.db
    async with db.sessions() as session:
        yield await build_context(request, session, tenant_slug, api=True)


async def provide_page_ctx(request: Request, tenant_slug: str) -> AsyncGenerator[RequestContext, None]:
    db: Database = request.app.state.db
    async with db.sessions() as session:
        yield await build_context(request, session, tenant_slug, api=False)
