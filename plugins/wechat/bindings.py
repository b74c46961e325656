"""Binding a login to a WeChat openid (OAuth code exchange, QR scans) and showing it masked."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.config import get_settings
from qudao.core.db.base import utcnow
from qudao.plugins.wechat.common import Account
from qudao.plugins.wechat.models import (
    WeChatBinding,
    WeChatQrCode,
)


async def bind(session: AsyncSession, user_id: int, openid: str, appid: str, via: str) -> WeChatBinding:
    """Bind (or re-bind) a login; its cached binding QR code is consumed (never shown again)."""
    await session.execute(delete(WeChatQrCode).where(WeChatQrCode.user_id == user_id)
                          .execution_options(synchronize_session=False))
    binding = await session.scalar(select(WeChatBinding).where(WeChatBinding.user_id == user_id))
    if binding is None:
        binding = WeChatBinding(user_id=user_id, openid=openid, appid=appid, via=via, bound_at=utcnow())
        session.add(binding)
    else:
        binding.openid, binding.appid, binding.via, binding.bound_at = openid, appid, via, utcnow()
    await session.flush()
    return binding


def mask(openid: str | None) -> str:
    if not openid:
        return ""
    return openid[:4] + "…" + openid[-4:] if len(openid) > 10 else "…"


class UpstreamError(Exception):
    """WeChat could not be reached or answered something unreadable."""


async def exchange_code(acct: Account, code: str) -> tuple[str | None, int | None, str]:
    """OAuth: ``code`` -> ``(openid, errcode, errmsg)`` via ``{api_base}/sns/oauth2/access_token``."""
    import httpx

    url = f"{(get_settings().wechat_api_base or 'https://api.weixin.qq.com').rstrip('/')}/sns/oauth2/access_token"
    params = {"appid": acct.appid, "secret": acct.secret, "code": code, "grant_type": "authorization_code"}
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.get(url, params=params)
        payload = response.json() if response.status_code < 400 else None
    except (httpx.HTTPError, ValueError) as exc:
        raise UpstreamError(f"WeChat could not be reached: {type(exc).__name__}") from None
    if not isinstance(payload, dict):
        raise UpstreamError(f"WeChat answered HTTP {response.status_code}")
    openid = payload.get("openid")
    if isinstance(openid, str) and openid and len(openid) <= 64 and openid.isascii():
        return openid, None, ""
    errcode = payload.get("errcode")
    return None, errcode if isinstance(errcode, int) else None, str(payload.get("errmsg") or "no openid")
