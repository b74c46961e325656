"""WeChat pages: the admin's message log and outbox, "my WeChat" for every login, and the
OAuth callback (a root route: the signed ``state`` names the tenant and the user)."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request, get, post
from litestar.response import Redirect, Response
from sqlalchemy import delete, func, select

from qudao.core.auth.models import User
from qudao.core.db.session import Database, bind_tenant
from qudao.core.errors import NotFound, QudaoError
from qudao.plugins.wechat import bindings, common, crypto, delivery, messages
from qudao.plugins.wechat.api import binding_view
from qudao.plugins.wechat.models import OUTBOX, STATUSES, WeChatBinding, WeChatMessage
from qudao.tenants.models import Tenant
from qudao.web.context import RequestContext, load_plugin_states, require_staff
from qudao.web.pages.common import login_redirect, render, staff_page

log = structlog.get_logger("qudao.wechat")
PAGE_SIZE = 50
FLASHES = {"requeued": "Message queued to be sent again.", "swept": "Due messages queued again.",
           "unbound": "WeChat unbound.", "bound": "WeChat bound: you will get notifications there."}


class BadOAuth(QudaoError):
    """A WeChat sign-in callback that cannot be used: 400 "Bad request", QudaoError's own."""


class WeChatUnavailable(QudaoError, status=502):
    """WeChat did not answer the code exchange ("Bad gateway")."""


def _labels() -> dict[str, str]:
    return {event: label for event, (_aud, label) in messages.EVENTS.items()}


async def _messages(ctx: RequestContext, status: str | None, page: int) -> tuple[list[WeChatMessage], int]:
    stmt = select(WeChatMessage)
    count = select(func.count()).select_from(WeChatMessage)
    if status:
        stmt, count = stmt.where(WeChatMessage.status == status), count.where(WeChatMessage.status == status)
    rows = (await ctx.session.scalars(stmt.order_by(WeChatMessage.created_at.desc(), WeChatMessage.id.desc())
                                      .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))).all()
    return list(rows), int(await ctx.session.scalar(count) or 0)


@get("/admin/wechat/messages")
@staff_page()
async def messages_page(ctx: RequestContext, status: str | None = None, page: int = 1,
                        done: str | None = None) -> Response[Any]:
    status = status if status in STATUSES else None
    page = max(page, 1)
    rows, total = await _messages(ctx, status, page)
    return render(ctx, "wechat/messages.html", rows=rows, total=total, status=status, statuses=STATUSES,
                  page=page, pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), labels=_labels(),
                  configured=common.account(ctx.settings("wechat")) is not None, flash=FLASHES.get(done or ""))


@get("/admin/wechat/outbox")
@staff_page()
async def outbox_page(ctx: RequestContext, page: int = 1) -> Response[Any]:
    page = max(page, 1)
    rows, total = await _messages(ctx, OUTBOX, page)
    return render(ctx, "wechat/outbox.html", rows=rows, total=total, page=page, labels=_labels(),
                  pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
                  configured=common.account(ctx.settings("wechat")) is not None)


@post("/admin/wechat/messages/{message_id:int}/retry")
@staff_page()
async def retry_message(ctx: RequestContext, message_id: int) -> Response[Any]:
    require_staff(ctx, ("order_clerk",))
    if not await delivery.requeue(ctx, message_id):
        raise NotFound("no message waiting to be sent again with that id")
    return Redirect(f"/t/{ctx.tenant.slug}/admin/wechat/messages?done=requeued")


@post("/admin/wechat/sweep")
@staff_page()
async def sweep_page(ctx: RequestContext) -> Response[Any]:
    require_staff(ctx, ("order_clerk",))
    await delivery.sweep(ctx)
    return Redirect(f"/t/{ctx.tenant.slug}/admin/wechat/messages?done=swept")


@get(["/wechat", "/admin/wechat/me"])
async def my_wechat(request: Request, ctx: RequestContext, done: str | None = None,
                    bound: str | None = None) -> Response[Any]:
    if ctx.user is None:
        return login_redirect(ctx)
    view = await binding_view(ctx, request)
    flash = FLASHES.get(done or ("bound" if bound else ""))
    return render(ctx, "wechat/me.html", binding=view, flash=flash)


@post(["/wechat/unbind", "/admin/wechat/me/unbind"])
async def unbind_page(request: Request, ctx: RequestContext) -> Response[Any]:
    if ctx.user is None:
        return login_redirect(ctx)
    await ctx.session.execute(delete(WeChatBinding).where(WeChatBinding.user_id == ctx.user.id)
                              .execution_options(synchronize_session=False))
    await ctx.session.commit()
    target = "/admin/wechat/me" if request.url.path.startswith(f"/t/{ctx.tenant.slug}/admin/") else "/wechat"
    return Redirect(f"/t/{ctx.tenant.slug}{target}?done=unbound")


# --- OAuth callback (root; unguarded: the state names the tenant) -----------------------


@get("/wechat/oauth/callback", include_in_schema=False)
async def oauth_callback(request: Request) -> Response[Any]:
    # ``state`` is a reserved handler argument in Litestar: read both from the query string.
    code, state = request.query_params.get("code"), request.query_params.get("state")
    signed = crypto.read_oauth_state(state)
    if signed is None:
        raise BadOAuth("This WeChat link is invalid or has expired; open “Bind WeChat” again.")
    if not code or len(code) > 128 or not code.isascii():
        raise BadOAuth("WeChat did not send an authorization code (was access denied?).")
    db: Database = request.app.state.db
    async with db.sessions() as session:
        tenant = await session.get(Tenant, signed.tenant_id)
        if tenant is None or tenant.status != "active":
            raise BadOAuth("This WeChat link is invalid or has expired; open “Bind WeChat” again.")
        await bind_tenant(session, tenant.id)
        enabled, settings = await load_plugin_states(session, request.app.state.host)
        if "wechat" not in enabled:
            raise NotFound("not found")
        user = await session.get(User, (tenant.id, signed.user_id))
        acct = common.account(settings.get("wechat", {}))
        if user is None or not user.active:
            raise BadOAuth("This WeChat link is invalid or has expired; open “Bind WeChat” again.")
        if acct is None:
            raise BadOAuth("WeChat is not configured for this brand.")
        slug, user_id, staff = tenant.slug, user.id, user.kind == "staff"
        await session.commit()  # hold no lock while WeChat answers
        try:
            openid, errcode, errmsg = await bindings.exchange_code(acct, code)
        except bindings.UpstreamError as exc:
            raise WeChatUnavailable(str(exc)) from None
        if openid is None:
            log.info("wechat_oauth_refused", tenant=slug, errcode=errcode, errmsg=errmsg)
            raise BadOAuth(f"WeChat refused the authorization code ({errcode}); open “Bind WeChat” again.")
        await bindings.bind(session, user_id, openid, acct.appid, "oauth")
        await session.commit()
    target = "/admin/wechat/me" if staff else "/wechat"
    return Redirect(f"/t/{slug}{target}?bound=1")


HANDLERS = [messages_page, outbox_page, retry_message, sweep_page, my_wechat, unbind_page]
PLATFORM_HANDLERS = [oauth_callback]
