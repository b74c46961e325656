"""Tenant API: staff logins and their roles (tenant admins only)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, put
from sqlalchemy import select

from qudao.core import audit
from qudao.core.auth.models import STAFF_ROLES, User
from qudao.core.auth.passwords import hash_password, password_problem
from qudao.core.errors import Conflict, InputError
from qudao.tenants.provisioning import EMAIL_RE
from qudao.web.api.common import json_body, upserted
from qudao.web.context import RequestContext, require_admin


@put("/staff/{email:str}", tags=["auth"])
async def put_staff(request: Request, ctx: RequestContext, email: str) -> Response[Any]:
    """Create or update a staff login: ``{role, password?, name?, active?}``."""
    require_admin(ctx)
    data = await json_body(request)
    email = email.strip().lower()
    errors = []
    if not EMAIL_RE.match(email):
        errors.append({"field": "email", "message": "must be a valid email address"})
    role = data.get("role")
    if role not in STAFF_ROLES or role == "owner":
        errors.append({"field": "role", "message": f"must be one of {', '.join(r for r in STAFF_ROLES if r != 'owner')}"})
    user = await ctx.session.scalar(select(User).where(User.email == email))
    password = data.get("password")
    if user is None or password is not None:
        problem = password_problem(password)
        if problem:
            errors.append({"field": "password", "message": problem})
    active = data.get("active", True)
    if not isinstance(active, bool):
        errors.append({"field": "active", "message": "must be true or false"})
    if errors:
        raise InputError(errors)
    if user is not None and (user.kind != "staff" or user.role == "owner"):
        raise Conflict(f"'{email}' is a buyer login or the owner and cannot be changed here")
    created = user is None
    before = None if user is None else {"role": user.role, "active": user.active}
    if user is None:
        user = User(email=email, kind="staff", password_hash=hash_password(password), name=email.split("@")[0])
        ctx.session.add(user)
    elif password is not None:
        user.password_hash = hash_password(password)
    user.role = role
    user.active = active
    if isinstance(data.get("name"), str):
        user.name = data["name"][:200]
    audit.record(ctx.session, "staff.role", email, before, {"role": role, "active": active},
                 user_id=ctx.user.id if ctx.user else None, user_email=ctx.user.email if ctx.user else "")
    if password is not None and before is not None:
        audit.record(ctx.session, "staff.password", email, None, {"password": "changed"},
                     user_id=ctx.user.id if ctx.user else None, user_email=ctx.user.email if ctx.user else "")
    await ctx.session.commit()
    return upserted({"email": user.email, "role": user.role, "active": user.active}, created)


@get("/staff", tags=["auth"])
async def list_staff(ctx: RequestContext) -> list[dict[str, Any]]:
    require_admin(ctx)
    users = (await ctx.session.scalars(select(User).where(User.kind == "staff").order_by(User.email))).all()
    return [{"email": u.email, "role": u.role, "active": u.active} for u in users]


HANDLERS = [put_staff, list_staff]
