"""WeChat API (under ``/t/{slug}/api/v1``, 404 while the plugin is off).

* ``GET /wechat/messages?status=&limit=&offset=`` (staff) – the message log;
  ``POST /wechat/messages/{id}/retry`` sends a waiting or failed message again.
* ``GET /wechat/binding`` (any signed-in user) – the caller's binding, the OAuth link and
  ``state``, and the QR scene code; with an account configured and nothing bound also the
  QR image (``qr_url``, ``expires_at``; see ``qr.py``), or ``qr_error``/``qr_errcode`` when
  WeChat refused to create it (still 200). ``DELETE /wechat/binding`` unbinds.
* ``GET /wechat/callback`` – WeChat's server-URL check (``signature``, ``timestamp``,
  ``nonce``, ``echostr``); ``POST /wechat/callback`` – event pushes (plaintext mode):
  ``subscribe``/``SCAN`` with a scene code bind that login, ``unsubscribe`` unbinds.
  A bad or missing signature is 400 and nothing is stored.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import quote

import structlog
from litestar import Request, Response, delete, get, post
from litestar.enums import MediaType
from sqlalchemy import delete as sql_delete
from sqlalchemy import select

from qudao.core.auth.models import User
from qudao.core.errors import InputError, NotFound, QudaoError, Unauthorized
from qudao.plugins.wechat import bindings, common, crypto, delivery, qr
from qudao.plugins.wechat.client import verify_signature
from qudao.plugins.wechat.models import STATUSES, WeChatBinding, WeChatMessage
from qudao.web.api.common import listing, page_of, paging
from qudao.web.context import RequestContext, require_staff

log = structlog.get_logger("qudao.wechat")
AUTHORIZE_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"
MAX_CALLBACK_BODY = 64 * 1024


class BadCallback(QudaoError):
    status = 400
    title = "Bad request"


def message_view(m: WeChatMessage) -> dict[str, Any]:
    return {
        "id": str(m.id), "event": m.event, "event_id": m.event_id, "recipient": m.recipient,
        "order": m.order_number, "status": m.status, "errcode": m.errcode, "errmsg": m.errmsg,
        "attempts": m.attempts, "template_id": m.template_id, "data": m.data, "url": m.url,
        "created_at": m.created_at.isoformat(), "sent_at": m.sent_at.isoformat() if m.sent_at else None,
        "next_attempt_at": m.next_attempt_at.isoformat() if m.next_attempt_at else None,
    }


@get("/wechat/messages", tags=["wechat"])
async def list_messages(ctx: RequestContext, status: str | None = None, limit: int = 50,
                        offset: int = 0) -> dict[str, Any]:
    require_staff(ctx)
    page = paging(limit, offset)
    stmt = select(WeChatMessage)
    if status:
        if status not in STATUSES:
            raise InputError(f"must be one of {', '.join(STATUSES)}", field="status")
        stmt = stmt.where(WeChatMessage.status == status)
    rows, total = await page_of(ctx, stmt.order_by(WeChatMessage.created_at.desc(), WeChatMessage.id.desc()), page)
    return listing([message_view(m) for m in rows], total)


@post("/wechat/messages/{message_id:str}/retry", tags=["wechat"], status_code=200)
async def retry_message(ctx: RequestContext, message_id: str) -> dict[str, Any]:
    """Send a waiting (retry_later), failed or skipped message again."""
    require_staff(ctx, ("order_clerk",))
    if not message_id.isdigit() or len(message_id) > 19:
        raise NotFound("no such message")
    if not await delivery.requeue(ctx, int(message_id)):
        raise NotFound("no message waiting to be sent again with that id")
    msg = await ctx.session.get(WeChatMessage, (ctx.tenant.id, int(message_id)))
    assert msg is not None
    await ctx.session.refresh(msg)
    return message_view(msg)


def oauth_url(ctx: RequestContext, request: Request, appid: str, state: str) -> str:
    redirect = f"{str(request.base_url).rstrip('/')}/wechat/oauth/callback"
    return (f"{AUTHORIZE_URL}?appid={quote(appid)}&redirect_uri={quote(redirect, safe='')}"
            f"&response_type=code&scope=snsapi_base&state={state}#wechat_redirect")


async def binding_view(ctx: RequestContext, request: Request) -> dict[str, Any]:
    assert ctx.user is not None
    tenant_id, user_id = ctx.tenant.id, ctx.user.id
    binding = await ctx.session.scalar(select(WeChatBinding).where(WeChatBinding.user_id == user_id))
    acct = common.account(ctx.settings("wechat"))
    state = crypto.oauth_state(tenant_id, user_id)
    view: dict[str, Any] = {
        "bound": binding is not None,
        "openid": bindings.mask(binding.openid) if binding else None,
        "via": binding.via if binding else None,
        "bound_at": binding.bound_at.isoformat() if binding else None,
        "configured": acct is not None,
        "state": state,
        "oauth_url": oauth_url(ctx, request, acct.appid, state) if acct else None,
        "scene": crypto.scene_code(tenant_id, user_id),
        "qr_url": None,
        "expires_at": None,
        "qr_error": None,
        "qr_errcode": None,
    }
    if acct is not None and binding is None:  # a bound login's scene is consumed: no QR code
        code = await qr.qr_for(ctx.session, tenant_id, user_id, acct)
        view.update(scene=code.scene, qr_url=code.qr_url,
                    expires_at=code.expires_at.isoformat() if code.expires_at else None,
                    qr_error=code.message, qr_errcode=code.errcode)
    return view


@get("/wechat/binding", tags=["wechat"])
async def get_binding(request: Request, ctx: RequestContext) -> dict[str, Any]:
    if ctx.user is None:
        raise Unauthorized("sign in first")
    return await binding_view(ctx, request)


@delete("/wechat/binding", tags=["wechat"], status_code=204)
async def delete_binding(ctx: RequestContext) -> None:
    if ctx.user is None:
        raise Unauthorized("sign in first")
    await ctx.session.execute(sql_delete(WeChatBinding).where(WeChatBinding.user_id == ctx.user.id)
                              .execution_options(synchronize_session=False))
    await ctx.session.commit()


def check_signature(ctx: RequestContext, request: Request) -> None:
    token = crypto.reveal(ctx.settings("wechat").get("callback_token"))
    q = request.query_params
    if not token:
        raise BadCallback("the server callback token is not configured")
    if not verify_signature(token, q.get("timestamp") or "", q.get("nonce") or "", q.get("signature") or ""):
        raise BadCallback("bad signature")


@get("/wechat/callback", tags=["wechat"], include_in_schema=False)
async def callback_check(request: Request, ctx: RequestContext) -> Response[str]:
    check_signature(ctx, request)
    echostr = request.query_params.get("echostr") or ""
    return Response(echostr[:200], media_type=MediaType.TEXT)


def parse_event(raw: bytes) -> dict[str, str]:
    if len(raw) > MAX_CALLBACK_BODY:
        raise BadCallback("body too large")
    upper = raw.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise BadCallback("DTDs are not accepted")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError:
        raise BadCallback("body is not WeChat XML") from None
    return {child.tag: (child.text or "").strip() for child in root}


async def _scene_unused(ctx: RequestContext, signed: crypto.Signed, openid: str) -> bool:
    """A scene code issued before the login's current binding was consumed by it (or made
    stale by an OAuth binding): a second scan of that QR code (a photo of the screen) does
    not move the login to another WeChat."""
    binding = await ctx.session.scalar(select(WeChatBinding).where(WeChatBinding.user_id == signed.user_id))
    if binding is None or binding.openid == openid or signed.issued_at > int(binding.bound_at.timestamp()):
        return True
    log.warning("wechat_scene_consumed", tenant=ctx.tenant.slug)
    return False


@post("/wechat/callback", tags=["wechat"], include_in_schema=False, status_code=200)
async def callback_event(request: Request, ctx: RequestContext) -> Response[str]:
    check_signature(ctx, request)
    event = parse_event(await request.body())
    openid = event.get("FromUserName", "")
    kind = event.get("Event", "").lower() if event.get("MsgType", "").lower() == "event" else ""
    if kind in ("subscribe", "scan") and openid:
        key = event.get("EventKey", "")
        key = key[len("qrscene_"):] if key.startswith("qrscene_") else key
        signed = crypto.read_scene_code(key) if key else None
        if signed is not None and signed.tenant_id == ctx.tenant.id:
            user = await ctx.session.get(User, (ctx.tenant.id, signed.user_id))
            if user is not None and user.active and len(openid) <= 64 and await _scene_unused(ctx, signed, openid):
                appid = (common.account(ctx.settings("wechat")) or common.Account("", "")).appid
                await bindings.bind(ctx.session, user.id, openid, appid, "scene")
                await ctx.session.commit()
        elif key:
            log.warning("wechat_scene_rejected", tenant=ctx.tenant.slug)
    elif kind == "unsubscribe" and openid:
        await ctx.session.execute(sql_delete(WeChatBinding).where(WeChatBinding.openid == openid)
                                  .execution_options(synchronize_session=False))
        await ctx.session.commit()
    return Response("success", media_type=MediaType.TEXT)


HANDLERS = [list_messages, retry_message, get_binding, delete_binding, callback_check, callback_event]
