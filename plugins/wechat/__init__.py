"""WeChat official-account template messages for buyers and staff.

* Settings (the plugin settings form): AppID, AppSecret and the server-callback token
  (both stored encrypted, see ``crypto.py``), a template id and an on/off switch per event.
  With no AppID, messages are recorded to the admin's outbox instead of being sent.
* Events: buyers get order submitted / approved / rejected (with the reason) / shipped
  (carrier and tracking number) / delivered, and credit warnings (``qudao_credit_alert``,
  fired by the credit plugin); approvers (owner, admin, order clerk) get "new order to
  approve"; owners, admins and warehouse staff get low stock (``qudao_stock_low``). Hooks
  only enqueue a job after the transaction commits; the jobs (``jobs.py``) create one
  message per (event, recipient) and send it. Quota errors are re-sent by delayed jobs.
* Binding: ``/wechat`` (buyers; staff: ``/admin/wechat/me``) shows the "bind with WeChat"
  OAuth link (signed ``state``) and a QR code carrying a signed scene code (``qr.py``: a
  temporary ticket from WeChat, cached per login until shortly before it expires); the OAuth callback is
  ``/wechat/oauth/callback`` (root, the state names tenant and user), the server callback
  (signature checked; subscribe/SCAN events carrying a scene code bind) is
  ``/t/{slug}/api/v1/wechat/callback``.
* Admin: ``/admin/wechat/messages`` (log, status per message, send again) and
  ``/admin/wechat/outbox``.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from qudao.core.plugin_api import PluginMeta, RoutedPlugin, Setting, enqueue_after_commit, hookimpl, utcnow
from qudao.plugins.wechat import (
    crypto,  # noqa: F401 - installs the settings encryption listener
    jobs,  # noqa: F401 - registers wechat.notify / low_stock / credit_warning / send / sweep
    models,  # noqa: F401 - registers the wechat_* tables
)
from qudao.plugins.wechat.messages import EVENTS, STATUS_EVENTS

_SETTINGS = [
    Setting("app_id", "str", "AppID", help="The official account's AppID. Empty: messages go to the outbox."),
    Setting("app_secret", "secret", "AppSecret", help="Stored encrypted."),
    Setting("callback_token", "secret", "Server callback token",
            help="The Token configured for the server URL /t/<brand>/api/v1/wechat/callback; stored encrypted."),
]
for _event, (_audience, _label) in EVENTS.items():
    _SETTINGS.append(Setting(f"on_{_event}", "bool", f"Send: {_label}", default=True))
    _SETTINGS.append(Setting(f"tpl_{_event}", "str", f"Template id: {_label}"))


def _today(ctx: Any) -> str:
    """The business day in the brand's time zone (part of the low-stock and credit event ids)."""
    return utcnow().astimezone(ZoneInfo(ctx.tenant.timezone)).date().isoformat()


def _site(ctx: Any) -> str | None:
    request = getattr(ctx, "request", None)
    if request is None:
        return None
    try:
        return str(request.base_url).rstrip("/")
    except Exception:  # noqa: BLE001 - a link is a nicety, never a reason to fail an order
        return None


class WeChatPlugin(RoutedPlugin):
    meta = PluginMeta(
        name="wechat", title="WeChat 微信通知", version="0.3.0",
        description="WeChat official-account template messages for buyers and staff.",
        settings=tuple(_SETTINGS),
        actors=("wechat.notify", "wechat.low_stock", "wechat.credit_warning", "wechat.customer_notice", "wechat.send",
                "wechat.sweep"),
        admin_menu=(("WeChat messages", "/wechat/messages"), ("WeChat outbox", "/wechat/outbox"),
                    ("My WeChat", "/wechat/me")),
    )

    # --- routes and menus ----------------------------------------------------------

    @hookimpl
    def qudao_platform_routes(self) -> list[Any]:
        from qudao.plugins.wechat.pages import PLATFORM_HANDLERS

        return list(PLATFORM_HANDLERS)

    @hookimpl
    def qudao_storefront_menu(self, ctx: Any) -> list[tuple[str, str]]:
        """Not the declared kind (a customer set): any signed-in buyer login may bind WeChat."""
        user = getattr(ctx, "user", None)
        return [("WeChat", "/wechat")] if user is not None and user.kind != "staff" else []

    # --- events (sync, no queries: the order's transaction stays short) --------------

    @hookimpl
    def qudao_order_placed(self, ctx: Any, order: Any, cart: Any) -> list[Any]:
        site = _site(ctx)
        enqueue_after_commit(ctx.session, "wechat.notify", order_id=order.id, event="order_submitted", site=site)
        enqueue_after_commit(ctx.session, "wechat.notify", order_id=order.id, event="staff_new_order", site=site)
        return []

    @hookimpl
    def qudao_order_status_changed(self, ctx: Any, order: Any, old: str, new: str, note: str) -> None:
        event = STATUS_EVENTS.get(new)
        if event is not None and old != new:
            enqueue_after_commit(ctx.session, "wechat.notify", order_id=order.id, event=event,
                                 note=(note or "")[:200], site=_site(ctx))


    @hookimpl
    def qudao_stock_low(self, ctx: Any, warehouse_id: int, product_ids: list[int]) -> None:
        enqueue_after_commit(ctx.session, "wechat.low_stock", warehouse_id=warehouse_id,
                             product_ids=[int(p) for p in product_ids], day=_today(ctx), site=_site(ctx))

    @hookimpl
    def qudao_credit_alert(self, ctx: Any, customer_id: int, kind: str, message: str) -> None:
        enqueue_after_commit(ctx.session, "wechat.credit_warning", customer_id=customer_id, kind=kind,
                             message=(message or "")[:500], day=_today(ctx), site=_site(ctx))


    @hookimpl
    def qudao_customer_notice(self, ctx: Any, customer_id: int, kind: str, title: str, message: str, key: str,
                              url: str | None) -> None:
        enqueue_after_commit(ctx.session, "wechat.customer_notice", customer_id=int(customer_id), kind=str(kind)[:40],
                             title=(title or "")[:40], message=(message or "")[:500], key=str(key)[:120],
                             url=url, site=_site(ctx))


plugin = WeChatPlugin()
