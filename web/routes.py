"""Collects every route handler, by surface. Each module under ``web/api`` and
``web/pages`` (and its sub-packages ``pages/admin``, ``pages/store``) exports ``HANDLERS``;
new modules are picked up without edits here."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from qudao.web import api as api_pkg
from qudao.web import pages as pages_pkg

PLATFORM_API = ("platform",)
PLATFORM_PAGES = ("platform",)


def _collect(package: Any, include: tuple[str, ...] | None = None,
             exclude: tuple[str, ...] = ()) -> list[Any]:
    handlers: list[Any] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name in exclude or (include and info.name not in include):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if info.ispkg:
            handlers.extend(_collect(module))
        handlers.extend(getattr(module, "HANDLERS", []))
    return handlers


def platform_handlers() -> list[Any]:
    return [*_collect(api_pkg, include=PLATFORM_API), *_collect(pages_pkg, include=PLATFORM_PAGES)]


def api_handlers() -> list[Any]:
    return _collect(api_pkg, exclude=PLATFORM_API)


def page_handlers() -> list[Any]:
    return _collect(pages_pkg, exclude=PLATFORM_PAGES)
