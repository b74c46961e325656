"""API bearer tokens: ``qd_<tenant id>_<secret>``; only the SHA-256 of the secret is stored.

The tenant id in the token lets the API answer 404 (not 401) when a valid token
is used on another tenant's path, as the contract asks, without a cross-tenant query.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.auth.models import ApiToken, User
from qudao.core.customers.models import Customer
from qudao.core.db.base import utcnow
from qudao.core.db.prepared import prepared


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_token(raw: str) -> tuple[int, str] | None:
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != "qd" or not parts[1].isdigit() or len(parts[2]) < 20:
        return None
    return int(parts[1]), parts[2]


async def issue_token(session: AsyncSession, user: User, name: str = "api") -> str:
    secret = secrets.token_urlsafe(32)
    session.add(ApiToken(tenant_id=user.tenant_id, user_id=user.id, token_hash=_hash(secret), name=name))
    await session.flush()
    return f"qd_{user.tenant_id}_{secret}"


async def user_for_token(session: AsyncSession, secret: str) -> User | None:
    """Look the token up in the session's bound tenant only."""
    found = await login_for_token(session, secret)
    return found[0] if found else None


@prepared
def _login_statement() -> Any:
    return (select(ApiToken, User, Customer)
            .join(User, (User.id == ApiToken.user_id) & (User.tenant_id == ApiToken.tenant_id))
            .outerjoin(Customer, (Customer.id == User.customer_id) & (Customer.tenant_id == User.tenant_id))
            .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None),
                   User.active.is_(True)))


async def login_for_token(session: AsyncSession, secret: str) -> tuple[User, Customer | None] | None:
    """The token's user and (for a buyer) its customer, in one statement, in the bound tenant."""
    row = (await session.execute(_login_statement(), {"token_hash": _hash(secret)})).first()
    if row is None:
        return None
    token, user, customer = row
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
    return user, customer


def hash_session_id(raw: str) -> str:
    return _hash(raw)
