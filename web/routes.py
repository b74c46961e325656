"""The list of every route handler, by surface."""

from __future__ import annotations

from typing import Any


def platform_handlers() -> list[Any]:
    from qudao.web.api.platform import healthz, metrics_endpoint, readyz, signup
    from qudao.web.pages import platform as platform_pages

    return [signup, healthz, readyz, metrics_endpoint, *platform_pages.HANDLERS]


def api_handlers() -> list[Any]:
    from qudao.web.api import auth, plugins

    handlers: list[Any] = [auth.create_token, plugins.list_plugins, plugins.put_plugin]
    for module_name in ("catalog", "customers", "inventory", "orders"):
        try:
            module = __import__(f"qudao.web.api.{module_name}", fromlist=["HANDLERS"])
        except ModuleNotFoundError:
            continue
        handlers.extend(module.HANDLERS)
    return handlers


def page_handlers() -> list[Any]:
    from qudao.web.pages import admin, auth, storefront

    return [*auth.HANDLERS, *admin.HANDLERS, *storefront.HANDLERS]
