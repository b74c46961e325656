"""What every WeChat module shares: the tenant's official-account settings (which events, which
templates) and an INSERT that can say ON CONFLICT on either database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.plugins.wechat import crypto

PLUGIN = "wechat"


@dataclass(frozen=True)
class Account:
    appid: str
    secret: str


def account(settings: dict[str, Any]) -> Account | None:
    """The tenant's official account, or None when no AppID is set (messages go to the outbox)."""
    appid = str(settings.get("app_id") or "").strip()
    if not appid:
        return None
    return Account(appid, crypto.reveal(settings.get("app_secret")))


def event_on(settings: dict[str, Any], event: str) -> bool:
    value = settings.get(f"on_{event}", True)
    return value is not False and str(value).lower() not in ("false", "0", "off", "no")


def template_for(settings: dict[str, Any], event: str) -> str:
    return str(settings.get(f"tpl_{event}") or "").strip()


def dialect_insert(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return pg_insert if dialect == "postgresql" else sqlite_insert
