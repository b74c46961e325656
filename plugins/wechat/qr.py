"""QR codes for scene binding, as WeChat official accounts do it.

The binding page of a login that has not bound its WeChat shows a temporary parametric QR
code carrying its signed scene code (``crypto.scene_code``): ``POST
{QUDAO_WECHAT_API_BASE}/cgi-bin/qrcode/create`` (``QR_STR_SCENE``, 600 s) through the
plugin's client (cached access token, one refresh-and-retry on a token error) returns a
``ticket``; the image is ``{QUDAO_WECHAT_QR_BASE}/cgi-bin/showqrcode?ticket=<ticket>``.
Scanning it makes WeChat push ``subscribe`` (``qrscene_<scene>``) or ``SCAN`` (``<scene>``)
to the server callback, which binds the login.

* The ticket is cached per login in ``wechat_qr_codes`` (with its scene and WeChat's expiry)
  and shown again until :data:`RENEW_BEFORE` before it expires, so reloading the page does
  not call WeChat; then a new scene and ticket replace it. Binding deletes the row: a
  consumed scene is never shown again.
* An error from WeChat (credentials, quota, an account that may not create QR codes, WeChat
  unreachable) is no exception for the page: :func:`qr_for` returns the scene code and an
  error kind; :data:`ERRORS` has the message for the user.
* No transaction is open while WeChat answers (the request's session is committed first).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.db.base import new_id, utcnow
from qudao.plugins.wechat import common, crypto, delivery
from qudao.plugins.wechat.client import QR_EXPIRE_SECONDS, WeChatError
from qudao.plugins.wechat.models import WeChatQrCode

log = structlog.get_logger("qudao.wechat")

QR_BASE = "https://mp.weixin.qq.com"  # QUDAO_WECHAT_QR_BASE overrides it (a test double, a proxy)
SHOW_PATH = "/cgi-bin/showqrcode"
EXPIRE_SECONDS = QR_EXPIRE_SECONDS  # asked of WeChat for each code (10 minutes)
RENEW_BEFORE = timedelta(seconds=60)  # a cached code is replaced this long before WeChat's expiry
MAX_TICKET = 500  # the column's length
TIMEOUT = 5.0  # seconds: a page waits at most this long for WeChat


def N_(message: str) -> str:  # noqa: N802 - the gettext "no-op" marker the extractor knows
    return message


# error kind -> message for the user (translated where it is shown)
ERRORS: dict[str, str] = {
    "credentials": N_("WeChat refused this brand's official-account credentials (AppID, AppSecret or server IP "
                      "whitelist), so no QR code can be shown. Please tell the brand; meanwhile use the link "
                      "above."),
    "quota": N_("WeChat's limit for creating QR codes has been reached. Try again later, or use the link above."),
    "forbidden": N_("This brand's official account may not create QR codes (only verified service accounts "
                    "can). Use the link above."),
    "unavailable": N_("WeChat could not be reached to create a QR code. Reload the page in a moment."),
    "error": N_("WeChat could not create a QR code. Reload the page in a moment, or use the link above."),
}
CREDENTIAL_ERRCODES = frozenset({40001, 40002, 40013, 40014, 40125, 40164, 41002, 41004, 42001, 61004})
QUOTA_ERRCODES = frozenset({45009, 45011})
FORBIDDEN_ERRCODES = frozenset({48001, 50001})


def error_kind(errcode: int | None) -> str:
    if errcode is None or errcode == -1:  # network, HTTP 5xx, unreadable; -1 system busy
        return "unavailable"
    if errcode in CREDENTIAL_ERRCODES:  # incl. a token still refused after one refresh
        return "credentials"
    if errcode in QUOTA_ERRCODES:
        return "quota"
    if errcode in FORBIDDEN_ERRCODES:
        return "forbidden"
    return "error"


def qr_base() -> str:
    """``QUDAO_WECHAT_QR_BASE`` (read at call time), else :data:`QR_BASE`."""
    return (os.environ.get("QUDAO_WECHAT_QR_BASE") or "").strip().rstrip("/") or QR_BASE


def image_url(ticket: str) -> str:
    return f"{qr_base()}{SHOW_PATH}?ticket={quote(ticket, safe='')}"


@dataclass(frozen=True)
class QrCode:
    """What the binding page shows: the scene code, and the QR image (or why there is none)."""

    scene: str
    qr_url: str | None = None
    expires_at: datetime | None = None
    error: str | None = None  # a key of ERRORS
    errcode: int | None = None

    @property
    def message(self) -> str | None:
        return ERRORS.get(self.error) if self.error else None


def _usable(row: WeChatQrCode | None, tenant_id: int, user_id: int, appid: str) -> bool:
    if row is None or row.appid != appid or row.expires_at - RENEW_BEFORE <= utcnow():
        return False
    signed = crypto.read_scene_code(row.scene)
    return signed is not None and signed.tenant_id == tenant_id and signed.user_id == user_id


async def qr_for(session: AsyncSession, tenant_id: int, user_id: int, acct: common.Account) -> QrCode:
    """The login's QR code: the cached one while it is good, else a new ticket from WeChat.
    Commits the session (no transaction stays open while WeChat answers)."""
    row = await session.scalar(select(WeChatQrCode).where(WeChatQrCode.user_id == user_id))
    if row is not None and _usable(row, tenant_id, user_id, acct.appid):
        code = QrCode(row.scene, image_url(row.ticket), row.expires_at)
        await session.commit()
        return code
    scene = crypto.scene_code(tenant_id, user_id)
    await session.commit()
    try:
        ticket = await delivery.client_for(session, tenant_id, acct, timeout=TIMEOUT).create_qr_ticket_async(
            scene, EXPIRE_SECONDS)
    except WeChatError as exc:
        kind = error_kind(exc.errcode)
        log.warning("wechat_qr_failed", tenant_id=tenant_id, errcode=exc.errcode, errmsg=exc.errmsg[:200],
                    kind=kind)
        return QrCode(scene, error=kind, errcode=exc.errcode)
    now = utcnow()
    expires_at = now + timedelta(seconds=ticket.expire_seconds)
    if len(ticket.ticket) > MAX_TICKET:  # not what WeChat sends (~100 characters): show it, do not cache it
        return QrCode(scene, image_url(ticket.ticket), expires_at)
    values = {"appid": acct.appid, "scene": scene, "ticket": ticket.ticket, "url": ticket.url[:300],
              "expires_at": expires_at, "created_at": now}
    table = WeChatQrCode.__table__
    stmt = common.dialect_insert(session)(table).values(tenant_id=tenant_id, id=new_id(), user_id=user_id, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["tenant_id", "user_id"], set_=values))
    await session.commit()
    return QrCode(scene, image_url(ticket.ticket), expires_at)
