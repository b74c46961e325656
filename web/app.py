"""The Litestar app factory: one app serves the platform, every tenant's admin,
storefront and API, and every enabled plugin's routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape
from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from qudao.core.config import Settings, get_settings
from qudao.core.db.session import Database
from qudao.core.plugins.host import PluginHost, get_host
from qudao.web import i18n, icons
from qudao.web.context import provide_api_ctx, provide_page_ctx
from qudao.web.middleware import RequestLogMiddleware, host_rewrite
from qudao.web.problems import EXCEPTION_HANDLERS
from qudao.web.routes import api_handlers, page_handlers, platform_handlers
from qudao.web.security import Edge

WEB_DIR = Path(__file__).resolve().parent


class QudaoApp(Litestar):
    """Litestar with host-based tenant routing applied before route resolution, and the request
    log around the router (so a path no route matches is logged too)."""

    base_domain: str = ""
    edge: Edge | None = None
    logged: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        scope = host_rewrite(scope, self.base_domain)
        if self.logged is None:
            self.logged = RequestLogMiddleware(super().__call__)
        if self.edge is None:
            await self.logged(scope, receive, send)
        else:
            await self.edge(scope, receive, send, self.logged)


def _template_engine(host: PluginHost) -> JinjaTemplateEngine:
    plugin_loaders = {
        name: FileSystemLoader(str(meta.templates_dir / name if (meta.templates_dir / name).is_dir()
                                   else meta.templates_dir))
        for name, meta in host.metas.items() if meta.templates_dir is not None
    }
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(WEB_DIR / "templates")), PrefixLoader(plugin_loaders)]),
        autoescape=select_autoescape(["html", "jinja"]),
        extensions=["jinja2.ext.i18n"],
        enable_async=False,
    )
    i18n.install(env)
    from qudao.web.plugin_panels import plugin_panel

    env.globals["plugin_panel"] = plugin_panel
    icons.install(env)
    return JinjaTemplateEngine.from_environment(env)


def _plugin_routers(host: PluginHost) -> tuple[list[Router], list[Router], list[Any]]:
    api, pages, platform = [], [], []
    for name in list(host.names):
        plugin = host.plugin(name)
        try:
            own_platform = list(plugin.qudao_platform_routes() or []) if hasattr(plugin, "qudao_platform_routes") else []
            own_api = list(plugin.qudao_api_routes() or []) if hasattr(plugin, "qudao_api_routes") else []
            own_pages = list(plugin.qudao_page_routes() or []) if hasattr(plugin, "qudao_page_routes") else []
        except Exception as exc:  # noqa: BLE001 - one broken plugin does not stop the app
            host.refuse(name, f"plugin '{name}' failed to give its routes: {type(exc).__name__}: {exc}")
            continue
        platform.extend(own_platform)
        if own_api:
            api.append(Router(path="/", route_handlers=own_api, opt={"plugin": name}, tags=[name]))
        if own_pages:
            pages.append(Router(path="/", route_handlers=own_pages, opt={"plugin": name}, include_in_schema=False))
    if host.refused:
        host.check_requirements(strict=host.strict)  # a plugin may need one refused just now
    return api, pages, platform


def create_app(settings: Settings | None = None, host: PluginHost | None = None,
               db: Database | None = None, *, start_inprocess_worker: bool = True,
               manage_broker: bool = True) -> Litestar:
    """``manage_broker=False`` serves without starting or stopping the job broker
    (a second app in the same process, e.g. the browser tests' live server)."""
    settings = settings or get_settings()
    from qudao.core.logging import configure_logging

    configure_logging(json=settings.log_json, level=settings.log_level)
    host = host or get_host()
    from qudao.core.plugins.pages import set_page_renderer
    from qudao.web.pages.common import render

    set_page_renderer(render)
    db = db or Database(settings.database_url, settings.db_app_role, settings.db_pool_size)
    plugin_api, plugin_pages, plugin_platform = _plugin_routers(host)

    tenant_api = Router(
        path="/t/{tenant_slug:str}/api/v1",
        route_handlers=[*api_handlers(), *plugin_api],
        dependencies={"ctx": Provide(provide_api_ctx)},
    )
    tenant_pages = Router(
        path="/t/{tenant_slug:str}",
        route_handlers=[*page_handlers(), *plugin_pages],
        dependencies={"ctx": Provide(provide_page_ctx)},
        include_in_schema=False,
    )
    static_dirs = [create_static_files_router(path="/static", directories=[WEB_DIR / "static"],
                                              include_in_schema=False)]
    for name, meta in host.metas.items():
        if meta.static_dir is not None:
            static_dirs.append(create_static_files_router(path=f"/static/plugins/{name}",
                                                          directories=[meta.static_dir], include_in_schema=False))

    state: dict[str, Any] = {"db": db, "host": host, "settings": settings}

    async def on_startup(app: Litestar) -> None:
        from qudao.workers.broker import setup_broker

        if manage_broker:
            app.state.broker = setup_broker(settings, start_worker=start_inprocess_worker)
            if settings.redis_url is None and start_inprocess_worker:
                # embedded mode: the outbox relay runs here (with Redis, `qudao worker` runs it)
                import asyncio

                from qudao.workers.outbox import relay_loop

                app.state.outbox_stop = asyncio.Event()
                app.state.outbox_task = asyncio.create_task(relay_loop(db, interval=settings.outbox_relay_seconds,
                                                                     stop=app.state.outbox_stop))

    async def on_shutdown(app: Litestar) -> None:
        from qudao.workers.broker import shutdown_broker

        if getattr(app.state, "outbox_task", None) is not None:
            app.state.outbox_stop.set()
            await app.state.outbox_task
        if manage_broker:
            shutdown_broker()
        await db.dispose()

    app = QudaoApp(
        route_handlers=[*platform_handlers(), *plugin_platform, tenant_api, tenant_pages, *static_dirs],
        state=State(state),
        exception_handlers=EXCEPTION_HANDLERS,
        template_config=TemplateConfig(engine=_template_engine(host)),
        plugins=[HTMXPlugin()],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="qd_csrf",
            header_name="x-csrftoken",
            cookie_samesite="lax",
            exclude=[r"^/api/", r"^/t/[^/]+/api/", r"^/stripe/", r"^/healthz", r"^/readyz", r"^/metrics"],
        ),
        openapi_config=OpenAPIConfig(title="Qudao API", version="1.0.0", path="/schema"),
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        request_max_body_size=20 * 1024 * 1024,
        debug=False,
        # logging is configure_logging's (above): Litestar's default config would dictConfig the root
        # logger again, replacing the JSON handler with a plain-text one at INFO whatever QUDAO_LOG_LEVEL says
        logging_config=None,
    )
    app.base_domain = (settings.base_domain or "").lower().strip(".")
    app.edge = Edge(settings)
    return app
