"""Panels that plugins add to the admin dashboard and the buyer's storefront home.

A plugin returns :class:`Panel` items from ``qudao_dashboard_panels`` / ``qudao_storefront_panels``;
the page includes ``Panel.template`` (a namespaced template of the plugin, e.g.
``"rebates/_progress_panel.html"``) inside a loop, so the template reads its data as
``panel.context`` and the page's own context (``base``, ``tenant``, ``money``, ``_``) like any
template of the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qudao.core.plugins.host import gather_hook


@dataclass
class Panel:
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100
    url: str | None = None  # "see all" link, relative to /t/{slug}


async def collect_panels(ctx: Any, hook_name: str) -> list[Panel]:
    """Every enabled plugin's panels for one page, in display order."""
    panels: list[Panel] = []
    for items in await gather_hook(getattr(ctx.hooks, hook_name), ctx=ctx):
        panels.extend(p for p in items or [] if isinstance(p, Panel))
    return sorted(panels, key=lambda p: (p.order, p.title))
