"""Admin back office: dashboard and the Plugins page (other pages live beside it)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Response

from qudao.core.errors import InputError, NotFound
from qudao.core.plugins.host import PluginHost
from qudao.core.plugins.panels import collect_panels
from qudao.web.api.plugins import set_plugin
from qudao.web.context import RequestContext, load_plugin_states, require_admin
from qudao.web.pages.common import form_data, render, staff_or_login


@get("/admin")
async def dashboard(ctx: RequestContext) -> Response[Any]:
    if (redirect := staff_or_login(ctx)) is not None:
        return redirect
    from qudao.web.pages import reports

    stats = await reports.dashboard_stats(ctx)
    panels = await collect_panels(ctx, "qudao_dashboard_panels")
    return render(ctx, "admin/dashboard.html", stats=stats, panels=panels)


def _plugin_rows(host: PluginHost, enabled: frozenset[str]) -> list[dict[str, Any]]:
    return [
        {"name": n, "title": m.title, "version": m.version, "description": m.description,
         "enabled": n in enabled, "has_settings": bool(m.settings)}
        for n, m in ((n, host.metas[n]) for n in host.names)
    ]


@get("/admin/plugins")
async def plugins_page(request: Request, ctx: RequestContext) -> Response[Any]:
    if (redirect := staff_or_login(ctx)) is not None:
        return redirect
    host: PluginHost = request.app.state.host
    return render(ctx, "admin/plugins.html", plugins=_plugin_rows(host, ctx.enabled))


@post("/admin/plugins/{name:str}/toggle")
async def toggle_plugin(request: Request, ctx: RequestContext, name: str) -> Response[Any]:
    """HTMX: switch a plugin and re-render the page (menu included) at once."""
    if (redirect := staff_or_login(ctx)) is not None:
        return redirect
    require_admin(ctx)
    host: PluginHost = request.app.state.host
    if name not in host.metas:
        raise NotFound(f"no plugin named '{name}'")
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
async def plugin_settings_page(request: Request, ctx: RequestContext, name: str) -> Response[Any]:
    if (redirect := staff_or_login(ctx)) is not None:
        return redirect
    host: PluginHost = request.app.state.host
    if name not in host.metas:
        raise NotFound(f"no plugin named '{name}'")
    return render(ctx, "admin/plugin_settings.html", meta=host.metas[name], values=ctx.settings(name), errors=[])


@post("/admin/plugins/{name:str}")
async def save_plugin_settings(request: Request, ctx: RequestContext, name: str) -> Response[Any]:
    if (redirect := staff_or_login(ctx)) is not None:
        return redirect
    require_admin(ctx)
    host: PluginHost = request.app.state.host
    if name not in host.metas:
        raise NotFound(f"no plugin named '{name}'")
    form = await form_data(request)
    values = {k: (v[-1] if isinstance(v, list) else v) for k, v in form.items()}
    try:
        await set_plugin(ctx, host, name, None, values)
        await ctx.session.commit()
    except InputError as exc:
        return render(ctx, "admin/plugin_settings.html", status_code=422, meta=host.metas[name],
                      values={**ctx.settings(name), **values}, errors=exc.errors)
    return Redirect(f"/t/{ctx.tenant.slug}/admin/plugins")


HANDLERS = [dashboard, plugins_page, toggle_plugin, plugin_settings_page, save_plugin_settings]
