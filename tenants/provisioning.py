"""Signup: a brand becomes a tenant with an owner login and default settings."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.auth.models import User
from qudao.core.auth.passwords import hash_password, password_problem
from qudao.core.db.session import bind_tenant
from qudao.tenants.models import DEFAULT_SETTINGS, Tenant

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
RESERVED_SLUGS = {"api", "admin", "platform", "www", "static", "schema", "signup", "login", "t", "healthz",
                  "readyz", "metrics", "stripe", "app", "mail"}


class SignupError(Exception):
    def __init__(self, errors: list[dict[str, str]], conflict: bool = False) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors
        self.conflict = conflict


@dataclass
class SignupInput:
    name: object
    slug: object
    admin_email: object
    admin_password: object


def validate_signup(data: SignupInput) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    if not isinstance(data.name, str) or not data.name.strip() or len(data.name) > 200:
        errors.append({"field": "name", "message": "is required (at most 200 characters)"})
    if not isinstance(data.slug, str) or not SLUG_RE.match(data.slug) or "--" in data.slug:
        errors.append({"field": "slug", "message": "must be 3-40 lowercase letters, digits or single hyphens"})
    elif data.slug in RESERVED_SLUGS:
        errors.append({"field": "slug", "message": "is reserved"})
    if not isinstance(data.admin_email, str) or not EMAIL_RE.match(data.admin_email.strip()):
        errors.append({"field": "admin_email", "message": "must be a valid email address"})
    problem = password_problem(data.admin_password)
    if problem:
        errors.append({"field": "admin_password", "message": problem})
    return errors


async def slug_taken(session: AsyncSession, slug: str) -> bool:
    return (await session.scalar(select(Tenant.id).where(Tenant.slug == slug))) is not None


async def create_tenant(session: AsyncSession, data: SignupInput) -> tuple[Tenant, User]:
    """Create the tenant and its owner in the caller's transaction; binds the new tenant."""
    errors = validate_signup(data)
    if errors:
        raise SignupError(errors)
    assert isinstance(data.slug, str) and isinstance(data.name, str)
    assert isinstance(data.admin_email, str) and isinstance(data.admin_password, str)
    if await slug_taken(session, data.slug):
        raise SignupError([{"field": "slug", "message": "is already taken"}], conflict=True)
    tenant = Tenant(slug=data.slug, name=data.name.strip(), settings=copy.deepcopy(DEFAULT_SETTINGS))
    session.add(tenant)
    await session.flush()
    await bind_tenant(session, tenant.id)
    owner = User(
        tenant_id=tenant.id,
        email=data.admin_email.strip().lower(),
        name=data.admin_email.split("@")[0],
        password_hash=hash_password(data.admin_password),
        kind="staff",
        role="owner",
    )
    session.add(owner)
    await session.flush()
    return tenant, owner
