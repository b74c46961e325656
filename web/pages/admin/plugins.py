"""Admin: the Plugins page (switch a plugin on or off for this brand) and each plugin's settings form."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Response

from qudao.core.errors import InputError, NotFound
from qudao.core.plugins.host import PluginHost
from qudao.web.api.plugins import set_plugin
from qudao.web.context import RequestContext, load_plugin_states, require_admin
from qudao.web.pages.common import form_data, render, staff_page


def _plugin_rows(host: PluginHost, enabled: frozenset[str]) -> list[dict[str, Any]]:
    return [
        {"name": n, "title": m.title, "version": m.version, "description": m.description,
         "enabled": n in enabled, "has_settings": bool(m.settings)}
        for n, m in ((n, host.metas[n]) for n in host.names)
    ]


def _host_with(request: Request, name: str) -> PluginHost:
    """The plugin host, when it has a plugin called ``name`` (else 404)."""
    host: PluginHost = request.app.state.host
    if name not in host.metas:
        raise NotFound(f"no plugin named '{name}'")
    return host


def _host_to_change(request: Request, ctx: RequestContext, name: str) -> PluginHost:
    """Switching a plugin or saving its settings: the brand's admins only, a plugin installed here."""
    require_admin(ctx)
    return _host_with(request, name)


def _settings_page(ctx: RequestContext, host: PluginHost, name: str, values: dict[str, Any],
                   errors: list[dict[str, str]], status_code: int = 200) -> Response[Any]:
    return render(ctx, "admin/plugin_settings.html", status_code=status_code, meta=host.metas[name], values=values,
                  errors=errors)


@get("/admin/plugins")
@staff_page()
async def plugins_page(request: Request, ctx: RequestContext) -> Response[Any]:
    host: PluginHost = request.app.state.host
    return render(ctx, "admin/plugins.html", plugins=_plugin_rows(host, ctx.enabled))


@post("/admin/plugins/{name:str}/toggle")
@staff_page()
async def toggle_plugin(request: Request, ctx: RequestContext, name: str) -> Response[Any]:
    """HTMX: switch a plugin and re-render the page (menu included) at once."""
    host = _host_to_change(request, ctx, name)
    flash, kind = None, "ok"
    try:
        await set_plugin(ctx, host, name, name not in ctx.enabled)
        await ctx.session.commit()
    except InputError as exc:
        flash, kind = exc.detail, "error"
    enabled, settings = await load_plugin_states(ctx.session, host)
    ctx.hooks = host.hooks_for(enabled)
    ctx.plugin_settings = settings
    return render(ctx, "admin/plugins.html", plugins=_plugin_rows(host, enabled), flash=flash, flash_kind=kind)


@get("/admin/plugins/{name:str}")
@staff_page()
async def plugin_settings_page(request: Request, ctx: RequestContext, name: str) -> Response[Any]:
    host = _host_with(request, name)
    return _settings_page(ctx, host, name, ctx.settings(name), [])


@post("/admin/plugins/{name:str}")
@staff_page()
async def save_plugin_settings(request: Request, ctx: RequestContext, name: str) -> Response[Any]:
    host = _host_to_change(request, ctx, name)
    form = await form_data(request)
    values = {k: (v[-1] if isinstance(v, list) else v) for k, v in form.items()}
    try:
        await set_plugin(ctx, host, name, None, values)
        await ctx.session.commit()
    except InputError as exc:
        return _settings_page(ctx, host, name, {**ctx.settings(name), **values}, exc.errors, status_code=422)
    return Redirect(f"/t/{ctx.tenant.slug}/admin/plugins")


HANDLERS = [plugins_page, toggle_plugin, plugin_settings_page, save_plugin_settings]
