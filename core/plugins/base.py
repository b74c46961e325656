"""A base class for plugins whose class lives in their package's ``__init__``: routes in
``<package>.api`` and ``<package>.pages``, the package's folder as ``package_dir``, and menus
declared in ``PluginMeta``."""

from __future__ import annotations

import dataclasses
import importlib
import sys
from pathlib import Path
from typing import Any

from qudao.core.plugins.hookspecs import hookimpl
from qudao.core.plugins.meta import MenuEntry, PluginMeta


class RoutedPlugin:
    """Serves ``HANDLERS`` of the plugin package's ``api`` and ``pages`` modules, if present, and
    the menu entries its ``meta`` declares (``admin_menu``, ``storefront_menu``). A ``meta``
    without ``package_dir`` gets the package's folder (migrations/, templates/, static/, locales/).

    pluggy registers inherited hook implementations, so a plugin class only adds the hooks
    that are really its own; a subclass's own ``qudao_*_menu`` replaces the declared entries.
    """

    meta: PluginMeta

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        meta = cls.__dict__.get("meta")
        package = sys.modules.get(cls.__module__)
        if (isinstance(meta, PluginMeta) and meta.package_dir is None and package is not None
                and hasattr(package, "__path__") and getattr(package, "__file__", None)):
            cls.meta = dataclasses.replace(meta, package_dir=Path(package.__file__).parent)

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

    @hookimpl
    def qudao_admin_menu(self, ctx: Any) -> list[MenuEntry]:
        return list(self.meta.admin_menu)  # the admin shows plugin entries to staff only

    @hookimpl
    def qudao_storefront_menu(self, ctx: Any) -> list[MenuEntry]:
        return list(self.meta.storefront_menu) if getattr(ctx, "customer", None) is not None else []
