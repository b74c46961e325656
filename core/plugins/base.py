"""A base class for plugins that keep their routes in ``<package>.api`` and ``<package>.pages``."""

from __future__ import annotations

import importlib
from typing import Any

from qudao.core.plugins.hookspecs import hookimpl


class RoutedPlugin:
    """Serves ``HANDLERS`` of the plugin package's ``api`` and ``pages`` modules, if present.

    pluggy registers inherited hook implementations, so a plugin class only adds the hooks
    that are really its own.
    """

    def _handlers(self, module: str) -> list[Any]:
        package = type(self).__module__
        try:
            mod = importlib.import_module(f"{package}.{module}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{package}.{module}":
                return []
            raise
        return list(getattr(mod, "HANDLERS", []))

    @hookimpl
    def qudao_api_routes(self) -> list[Any]:
        return self._handlers("api")

    @hookimpl
    def qudao_page_routes(self) -> list[Any]:
        return self._handlers("pages")
