"""Tenant API: tokens."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from sqlalchemy import select

from qudao.core.auth import devices, throttle
from qudao.core.auth.models import User
from qudao.core.auth.passwords import verify_password
from qudao.core.auth.tokens import issue_token
from qudao.core.errors import QudaoError, Unauthorized
from qudao.web.api.common import json_body
from qudao.web.context import RequestContext


class TooManyAttempts(QudaoError):
    status = 429
    title = "Too many attempts"


def client_ip(request: Request) -> str:
    """The client's address (behind a trusted proxy, the one it forwarded: web/security.py)."""
    return request.client.host if request.client else "?"


async def check_login(ctx: RequestContext, email: object, password: object, request: Request) -> User:
    """Same answer for an unknown email and a wrong password; throttled by ``core.auth.throttle``
    (per account+IP and per IP; a targeted account is slowed, its known devices still get in)."""
    if not isinstance(email, str) or not isinstance(password, str):
        raise Unauthorized("email or password is wrong")
    email = email.strip().lower()
    key = f"{ctx.tenant.id}:{email}"
    secret = request.app.state.settings.secret_key
    attempt = throttle.Attempt(key, client_ip(request),
                               devices.known_device(secret, request.cookies.get(devices.COOKIE), key))
    verdict = await throttle.verdict(ctx.session, attempt)
    if verdict.refused:
        throttle.record(ctx.session, attempt, "throttled")
        await ctx.session.commit()
        raise TooManyAttempts("too many failed sign-ins; try again in 15 minutes")
    await throttle.slow_down(verdict)
    user = await ctx.session.scalar(select(User).where(User.email == email))
    ok = verify_password(password, user.password_hash if user else None)
    if ok and user is not None and user.active and user.kind == "customer":
        from qudao.core.customers.models import Customer

        customer = await ctx.session.get(Customer, (ctx.tenant.id, user.customer_id))
        ok = customer is not None and customer.status == "active"
    if not ok or user is None or not user.active:
        throttle.record(ctx.session, attempt, "failed")
        await ctx.session.commit()
        raise Unauthorized("email or password is wrong")
    throttle.record(ctx.session, attempt, "ok")
    await throttle.prune(ctx.session)
    return user


def remember_device(request: Request, ctx: RequestContext, user: User) -> str:
    """The device cookie's new value after ``user`` signed in from this browser."""
    key = f"{ctx.tenant.id}:{user.email}"
    return devices.remember_device(request.app.state.settings.secret_key, request.cookies.get(devices.COOKIE),
                                   key)[1]


@post("/auth/token", status_code=200, tags=["auth"])
async def create_token(request: Request, ctx: RequestContext) -> dict[str, Any]:
    """Exchange email and password for a bearer token."""
    data = await json_body(request)
    user = await check_login(ctx, data.get("email"), data.get("password"), request)
    token = await issue_token(ctx.session, user, name=str(data.get("name") or "api")[:100])
    await ctx.session.commit()
    return {"token": token, "kind": user.kind}


HANDLERS = [create_token]
