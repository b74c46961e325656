"""Menus declared in ``PluginMeta`` (served by ``RoutedPlugin``) show what the menu hooks showed (issue 12)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from qudao.core.plugin_api import PluginMeta, RoutedPlugin, hookimpl
from qudao.core.plugins.host import PluginError, PluginHost
from tests.conftest import BUILTIN_PLUGINS, builtin_host

STAFF = SimpleNamespace(user=SimpleNamespace(kind="staff"), customer=None)
BUYER = SimpleNamespace(user=SimpleNamespace(kind="customer"), customer=SimpleNamespace(id=1))
VISITOR = SimpleNamespace(user=None, customer=None)

ADMIN = {
    "brand_isolation": [("Brand access", "/brand-access")],
    "channel_tasks": [("Tasks", "/channel-tasks")],
    "credit": [("Credit", "/credit")],
    "guest_checkout": [("Guests & sharing", "/guest-checkout")],
    "payments": [("Payments", "/payments")],
    "promotions": [("Promotions", "/promotions")],
    "rebates": [("Rebates", "/rebates")],
    "replenishment": [("Replenishment", "/replenishment")],
    "sales_targets": [("Sales targets", "/sales-targets")],
    "wechat": [("WeChat messages", "/wechat/messages"), ("WeChat outbox", "/wechat/outbox"),
               ("My WeChat", "/wechat/me")],
}
# What each plugin's storefront menu gives a buyer, a visitor and a staff member looking at the store.
STOREFRONT = {
    "channel_tasks": ([("Tasks", "/channel-tasks")], [], []),
    "credit": ([("My credit", "/credit")], [], []),
    "guest_checkout": ([("Shared links", "/share-links")], [("Order as a guest", "/guest")],
                       [("Shared links", "/share-links")]),
    "payments": ([("Pay orders", "/payments/orders"), ("My balance", "/payments/balance")], [], []),
    "promotions": ([("Promotions", "/promotions")], [("Promotions", "/promotions")], [("Promotions", "/promotions")]),
    "rebates": ([("My rebates", "/rebates")], [], []),
    "replenishment": ([("Restock", "/replenishment")], [], []),
    "wechat": ([("WeChat", "/wechat")], [], []),
}


def test_builtin_menus_are_unchanged() -> None:
    host = builtin_host()
    assert set(ADMIN) <= BUILTIN_PLUGINS
    for name in host.names:
        plugin = host.plugin(name)
        assert plugin.qudao_admin_menu(STAFF) == ADMIN.get(name, []), name
        buyer, visitor, staff = STOREFRONT.get(name, ([], [], []))
        assert plugin.qudao_storefront_menu(BUYER) == buyer, name
        assert plugin.qudao_storefront_menu(VISITOR) == visitor, name
        assert plugin.qudao_storefront_menu(STAFF) == staff, name


class Declared(RoutedPlugin):
    meta = PluginMeta(name="declared", title="D", version="1", admin_menu=(("D", "/d"),),
                      storefront_menu=(("Mine", "/d"),))


class OwnStorefront(RoutedPlugin):
    meta = PluginMeta(name="own", title="O", version="1", admin_menu=(("O", "/o"),),
                      storefront_menu=(("never shown", "/x"),))

    @hookimpl
    def qudao_storefront_menu(self, ctx: Any) -> list[tuple[str, str]]:
        return [("Everyone", "/o")]


class OldWay:
    """A third-party plugin on the hooks alone, as before ``admin_menu`` existed."""

    meta = PluginMeta(name="oldway", title="W", version="1")

    @hookimpl
    def qudao_admin_menu(self, ctx: Any) -> list[tuple[str, str]]:
        return [("Old", "/old")]


def _menus(host: PluginHost, hook: str, ctx: Any) -> list[list[tuple[str, str]]]:
    return sorted(getattr(host.hooks_for(frozenset(host.names)), hook)(ctx=ctx))


def test_declared_menus_an_own_hook_wins_and_the_old_way_works() -> None:
    host = PluginHost()
    for plugin in (Declared(), OwnStorefront(), OldWay()):
        host.register(plugin)
    assert _menus(host, "qudao_admin_menu", STAFF) == [[("D", "/d")], [("O", "/o")], [("Old", "/old")]]
    assert _menus(host, "qudao_storefront_menu", BUYER) == [[("Everyone", "/o")], [("Mine", "/d")]]
    assert _menus(host, "qudao_storefront_menu", VISITOR) == [[], [("Everyone", "/o")]]
    assert Declared.meta.package_dir is None  # a class outside a package's __init__ keeps its meta as written


def test_routed_plugin_defaults_package_dir_to_its_package() -> None:
    from qudao.plugins import credit

    assert credit.plugin.meta.package_dir is not None and credit.plugin.meta.templates_dir is not None
    assert credit.plugin.meta.package_dir.name == "credit"


def test_declared_menu_without_routed_plugin_is_refused() -> None:
    class Forgot:
        meta = PluginMeta(name="forgot", title="F", version="1.0", storefront_menu=(("F", "/f"),))

    with pytest.raises(PluginError, match="forgot.*storefront_menu.*RoutedPlugin"):
        PluginHost().register(Forgot())
