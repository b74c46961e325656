"""Tenant API: list plugins and switch them on or off."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, put
from sqlalchemy import select

from qudao.core.errors import InputError, NotFound
from qudao.core.plugins.context import TenantContext
from qudao.core.plugins.host import PluginHost
from qudao.core.plugins.meta import validate_settings
from qudao.core.plugins.models import PluginState
from qudao.web.api.common import json_body
from qudao.web.context import RequestContext, require_admin, require_staff


def plugin_view(host: PluginHost, name: str, enabled: bool, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    meta = host.metas[name]
    out: dict[str, Any] = {"name": name, "title": meta.title, "version": meta.version, "enabled": enabled}
    if settings is not None:
        secret = {s.name for s in meta.settings if s.kind == "secret"}
        out["settings"] = {k: ("********" if k in secret and v else v) for k, v in settings.items()}
    return out


def _audit_plugin(ctx: TenantContext, meta: Any, state: PluginState | None, enabled: bool | None,
                  clean: dict[str, Any]) -> None:
    """Switching a plugin and its settings (secrets shown only as changed) are audited."""
    from qudao.core import audit

    was = {"enabled": bool(state.enabled) if state else False, **((state.settings or {}) if state else {})}
    now = {"enabled": was["enabled"] if enabled is None else bool(enabled), **clean}
    secrets = {s.name for s in meta.settings if s.kind == "secret"}
    before, after = {}, {}
    for key in sorted(set(was) | set(now)):
        if was.get(key) != now.get(key):
            before[key] = "********" if key in secrets and was.get(key) else was.get(key)
            after[key] = "********" if key in secrets and now.get(key) else now.get(key)
    if before != after:
        user = ctx.user
        audit.record(ctx.session, "plugin.settings", meta.name, before, after, user_id=user.id if user else None,
                     user_email=user.email if user else "")


async def set_plugin(ctx: TenantContext, host: PluginHost, name: str, enabled: bool | None,
                     settings: Any = None) -> PluginState:
    """Enable/disable and/or change settings; validates settings and required plugins."""
    if name not in host.metas:
        raise NotFound(f"no plugin named '{name}'")
    meta = host.metas[name]
    state = await ctx.session.scalar(select(PluginState).where(PluginState.name == name))
    current = {**meta.defaults(), **((state.settings or {}) if state else {})}
    if settings is not None:
        merged = {**current, **settings} if isinstance(settings, dict) else settings
        clean, errors = validate_settings(meta, merged)
        if errors:
            raise InputError(errors)
        # a masked secret sent back unchanged keeps the stored value
        for s in meta.settings:
            if s.kind == "secret" and clean.get(s.name) == "********":
                clean[s.name] = current.get(s.name)
    else:
        clean = current
    if enabled:
        for req in meta.requires:
            if req not in ctx.enabled:
                raise InputError(f"needs the plugin '{req}' switched on first", field="enabled")
    _audit_plugin(ctx, meta, state, enabled, clean)
    if state is None:
        state = PluginState(name=name, enabled=bool(enabled), settings=clean)
        ctx.session.add(state)
    else:
        if enabled is not None:
            state.enabled = enabled
        state.settings = clean
    await ctx.session.flush()
    return state


@get("/plugins", tags=["plugins"])
async def list_plugins(request: Request, ctx: RequestContext) -> list[dict[str, Any]]:
    require_staff(ctx)
    host: PluginHost = request.app.state.host
    return [plugin_view(host, n, n in ctx.enabled) for n in host.names]


@put("/plugins/{name:str}", status_code=200, tags=["plugins"])
async def put_plugin(request: Request, ctx: RequestContext, name: str) -> dict[str, Any]:
    require_admin(ctx)
    host: PluginHost = request.app.state.host
    if name not in host.metas:
        raise NotFound(f"no plugin named '{name}'")
    data = await json_body(request)
    enabled = data.get("enabled")
    if not isinstance(enabled, bool):
        raise InputError("must be true or false", field="enabled")
    state = await set_plugin(ctx, host, name, enabled, data.get("settings"))
    await ctx.session.commit()
    return plugin_view(host, name, state.enabled, state.settings)


HANDLERS = [list_plugins, put_plugin]
