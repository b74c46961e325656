"""Tenant API: tokens."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from sqlalchemy import select

from qudao.core.auth.models import User
from qudao.core.auth.passwords import verify_password
from qudao.core.auth.throttle import clear_failures, is_throttled, record_failure
from qudao.core.auth.tokens import issue_token
from qudao.core.errors import QudaoError, Unauthorized
from qudao.web.api.common import json_body
from qudao.web.context import RequestContext


class TooManyAttempts(QudaoError):
    status = 429
    title = "Too many attempts"


async def check_login(ctx: RequestContext, email: object, password: object, ip: str) -> User:
    """Same answer for an unknown email and a wrong password; throttled per account and IP."""
    if not isinstance(email, str) or not isinstance(password, str):
        raise Unauthorized("email or password is wrong")
    email = email.strip().lower()
    key = f"{ctx.tenant.id}:{email}"
    if await is_throttled(ctx.session, key, ip):
        raise TooManyAttempts("too many failed sign-ins; try again in 15 minutes")
    user = await ctx.session.scalar(select(User).where(User.email == email))
    ok = verify_password(password, user.password_hash if user else None)
    if not ok or user is None or not user.active:
        await record_failure(ctx.session, key, ip)
        await ctx.session.commit()
        raise Unauthorized("email or password is wrong")
    if user.kind == "customer":
        from qudao.core.customers.models import Customer

        customer = await ctx.session.get(Customer, (ctx.tenant.id, user.customer_id))
        if customer is None or customer.status != "active":
            await record_failure(ctx.session, key, ip)
            await ctx.session.commit()
            raise Unauthorized("email or password is wrong")
    await clear_failures(ctx.session, key)
    return user


@post("/auth/token", status_code=200, tags=["auth"])
async def create_token(request: Request, ctx: RequestContext) -> dict[str, Any]:
    """Exchange email and password for a bearer token."""
    data = await json_body(request)
    ip = request.client.host if request.client else "?"
    user = await check_login(ctx, data.get("email"), data.get("password"), ip)
    token = await issue_token(ctx.session, user, name=str(data.get("name") or "api")[:100])
    await ctx.session.commit()
    return {"token": token, "kind": user.kind}


HANDLERS = [create_token]
