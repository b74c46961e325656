"""Panels that plugins add to the admin dashboard and the buyer's storefront home, the dashboard's
to-do counts and the facts shown next to an order awaiting a decision.

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


@dataclass
class Todo:
    """A "needs me now" count on the admin dashboard (``qudao_dashboard_todos``), linking to its list."""

    label: str  # a msgid; the dashboard translates it
    count: int
    url: str  # the filtered list, relative to /t/{slug}
    icon: str = "list-checks"  # a Lucide icon name (web/static/vendor/lucide)
    order: int = 100


@dataclass
class OrderFact:
    """One thing staff should know deciding on an order (``qudao_order_facts``): "Credit available ¥3,200.00"."""

    label: str  # a msgid; the page translates it
    value: Any  # text, or a Decimal amount the page shows as money in the reader's locale
    tone: str = ""  # "", "ok", "warn" or "bad"
    url: str | None = None  # relative to /t/{slug}


async def collect_todos(ctx: Any) -> list[Todo]:
    """Every enabled plugin's dashboard to-do counts, in display order."""
    todos: list[Todo] = []
    for items in await gather_hook(ctx.hooks.qudao_dashboard_todos, ctx=ctx):
        todos.extend(t for t in items or [] if isinstance(t, Todo))
    return sorted(todos, key=lambda t: (t.order, t.label))


async def collect_order_facts(ctx: Any, orders: list[Any]) -> dict[int, list[OrderFact]]:
    """Every enabled plugin's facts about these orders, merged by order id."""
    merged: dict[int, list[OrderFact]] = {}
    if not orders:
        return merged
    for found in await gather_hook(ctx.hooks.qudao_order_facts, ctx=ctx, orders=orders):
        for order_id, facts in (found or {}).items():
            merged.setdefault(order_id, []).extend(f for f in facts or [] if isinstance(f, OrderFact))
    return merged


async def collect_panels(ctx: Any, hook_name: str) -> list[Panel]:
    """Every enabled plugin's panels for one page, in display order."""
    panels: list[Panel] = []
    for items in await gather_hook(getattr(ctx.hooks, hook_name), ctx=ctx):
        panels.extend(p for p in items or [] if isinstance(p, Panel))
    return sorted(panels, key=lambda p: (p.order, p.title))
