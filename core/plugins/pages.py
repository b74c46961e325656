"""Rendering a plugin's page inside the app's layout, for plugins that import only the plugin API.

The web layer registers its renderer when the app is created (``set_page_renderer``), so core
never imports it. ``render_page(ctx, "<plugin>/page.html", **context)`` returns a response with
the tenant, the user, both menus and the request's locale, exactly like the app's own pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_renderer: list[Callable[..., Any]] = []


def set_page_renderer(renderer: Callable[..., Any]) -> None:
    _renderer[:] = [renderer]


def render_page(ctx: Any, template: str, status_code: int = 200, **context: Any) -> Any:
    """A page response rendering ``template`` (e.g. ``"loyalty/points.html"``) in the app's layout."""
    if not _renderer:
        raise RuntimeError("render_page needs the web app (qudao.web.app.create_app) to be created first")
    return _renderer[0](ctx, template, status_code=status_code, **context)
