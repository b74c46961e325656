"""The admin sidebar and breadcrumbs, and the storefront's tab bar, built once per page.

Sections are grouped as a brand's staff think of them; every enabled plugin's
``qudao_admin_menu`` entries get a group of their own. Icons are names of the vendored
Lucide set (``web/static/vendor/lucide``); a plugin entry gets one by its path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def N_(message: str) -> str:  # noqa: N802 - the gettext "no-op" marker the extractor knows
    return message


@dataclass
class NavItem:
    label: str
    href: str
    icon: str
    active: bool = False
    more: bool = False  # storefront: listed on the account page instead of the tab bar


@dataclass
class NavGroup:
    title: str
    items: list[NavItem] = field(default_factory=list)


# (group title, [(label, path under /admin, icon)]); "~" paths are relative to the tenant root.
ADMIN_SECTIONS: list[tuple[str, list[tuple[str, str, str]]]] = [
    ("", [(N_("Dashboard"), "", "layout-dashboard")]),
    (N_("Sales & customers"), [(N_("Orders"), "/orders", "shopping-cart"), (N_("Approval queue"), "/orders/queue", "clipboard-check"),
                   (N_("Customers"), "/customers", "users"), (N_("Tiers"), "/tiers", "layers"),
                   (N_("Applications"), "/applications", "user-plus")]),
    (N_("Catalog"), [(N_("Products"), "/products", "package"), (N_("Brands"), "/brands", "tags"),
                     (N_("Prices"), "/prices", "circle-dollar-sign")]),
    (N_("Inventory"), [(N_("Stock"), "/stock", "boxes"), (N_("Low stock"), "/stock/low", "triangle-alert"),
                       (N_("Warehouses"), "/warehouses", "warehouse")]),
    (N_("Insights"), [(N_("Reports"), "/reports", "chart-column"), (N_("Sell-through"), "/sell-through", "truck"),
                      (N_("Imports & exports"), "/imports", "upload"),
                      (N_("Order export"), "/orders/export", "download")]),
    (N_("Settings"), [(N_("Settings"), "/settings", "settings"), (N_("Plugins"), "/plugins", "puzzle"),
                      (N_("Audit log"), "/audit", "history"),
                      (N_("Account"), "~/account", "user")]),
]
PLUGIN_ICONS = (("credit", "wallet"), ("payment", "credit-card"), ("promotion", "badge-percent"),
                ("wechat", "message-circle"), ("brand-access", "shield"), ("guest", "user-round"),
                ("rebate", "piggy-bank"), ("target", "target"), ("task", "list-checks"),
                ("replenish", "refresh-cw"), ("reseller", "truck"), ("channel", "truck"))
STORE_TABS = [(N_("Catalog"), "/", "store"), (N_("Cart"), "/cart", "shopping-cart"),
              (N_("My orders"), "/orders", "receipt"), (N_("Account"), "/account", "user")]
VISITOR_TABS = [(N_("Catalog"), "/", "store"), (N_("Apply now"), "/apply", "user-plus"), (N_("Sign in"), "/login", "user")]


def plugin_icon(path: str) -> str:
    for needle, icon in PLUGIN_ICONS:
        if needle in path:
            return icon
    return "puzzle"


def _mark_active(groups: list[NavGroup], path: str) -> NavItem | None:
    """The item whose link is the longest prefix of the current path (the dashboard only exactly)."""
    best: NavItem | None = None
    for group in groups:
        for item in group.items:
            href = item.href.rstrip("/")
            exact = path.rstrip("/") == href
            if exact or (path.startswith(href + "/") and not href.endswith("/admin")):
                if best is None or len(href) > len(best.href.rstrip("/")) or exact:
                    best = item
    if best is not None:
        best.active = True
    return best


def admin_nav(ctx: Any, base: str) -> tuple[list[NavGroup], NavItem | None, str]:
    """Sidebar groups, the active item and its group's title (for the breadcrumbs)."""
    groups = []
    for title, items in ADMIN_SECTIONS:
        groups.append(NavGroup(title, [NavItem(label, f"{base}{p[1:]}" if p.startswith("~") else f"{base}/admin{p}",
                                               icon) for label, p, icon in items]))
    plugin_items = []
    if ctx.user is not None and ctx.user.kind == "staff":
        for entries in ctx.hooks.qudao_admin_menu(ctx=ctx):
            for entry in entries or []:
                label, path = entry[0], entry[1]
                plugin_items.append(NavItem(label, f"{base}/admin{path}", plugin_icon(path)))
    if plugin_items:
        groups.insert(len(groups) - 1, NavGroup(N_("Plugins"), plugin_items))
    path = ctx.request.url.path if ctx.request is not None else ""
    active = _mark_active(groups, path)
    group_title = next((g.title for g in groups if active in g.items), "") if active else ""
    return groups, active, group_title


def store_tabs(ctx: Any, base: str) -> list[NavItem]:
    """A buyer's four tabs (plugins' entries go to the account page); a visitor's catalog, the
    plugins' entries (e.g. order as a guest), apply and sign in."""
    visitor = ctx.user is None
    tabs = [NavItem(label, f"{base}{p}", icon) for label, p, icon in (VISITOR_TABS if visitor else STORE_TABS)]
    extra = [NavItem(entry[0], f"{base}{entry[1]}", plugin_icon(entry[1]), more=not visitor)
             for entries in ctx.hooks.qudao_storefront_menu(ctx=ctx) for entry in entries or []]
    tabs[1:1] = extra if visitor else []
    tabs.extend([] if visitor else extra)
    if not visitor and getattr(ctx.customer, "can_resell", False) and ctx.user.kind == "customer":
        tabs.insert(3, NavItem(N_("Distributor"), f"{base}/reseller", "truck"))  # its back office (core/channels)
    path = ctx.request.url.path if ctx.request is not None else ""
    for tab in tabs:
        href = tab.href.rstrip("/")
        tab.active = path.rstrip("/") == href or (href != base and path.startswith(href + "/"))
    return tabs
