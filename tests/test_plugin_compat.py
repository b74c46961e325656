"""Installed plugins that cannot run are refused at start with one clear line; the rest load (issue 17)."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from qudao.core.plugin_api import API_VERSION, PluginMeta, hookimpl
from qudao.core.plugins import host as host_module
from qudao.core.plugins.host import PluginError, PluginHost


class _EP:
    def __init__(self, name: str, obj: Any) -> None:
        self.name, self._obj = name, obj

    def load(self) -> Any:
        if isinstance(self._obj, Exception):
            raise self._obj
        return self._obj


def _plugin(name: str, api: str = ">=1.0,<2", requires: tuple[str, ...] = ()) -> Any:
    class P:
        meta = PluginMeta(name=name, title=name.title(), version="2.3.4", api=api, requires=requires)

    return P()


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> list[_EP]:
    eps: list[_EP] = []
    monkeypatch.setattr(host_module, "entry_points", lambda group: list(eps))
    return eps


def test_incompatible_plugin_refused_with_one_line_and_others_load(installed: list[_EP]) -> None:
    installed += [_EP("future", _plugin("future", api=">=2.0,<3")), _EP("fine", _plugin("fine")),
                  _EP("needs_future", _plugin("needs_future", requires=("future",))),
                  _EP("broken_import", ImportError("No module named 'missing_dep'"))]
    host = PluginHost()
    host.load_entry_points()
    assert host.names == ["fine"]
    line = host.refused["future"]
    assert "\n" not in line and "future" in line and "2.3.4" in line and ">=2.0,<3" in line and API_VERSION in line
    assert "requires plugins not installed: future" in host.refused["needs_future"]
    assert "missing_dep" in host.refused["broken_import"]
    with pytest.raises(PluginError, match="missing_dep"):
        PluginHost().load_entry_points(strict=True)
    with pytest.raises(PluginError, match=">=2.0,<3"):
        PluginHost().load_entry_points(strict=True, only={"future"})


def test_cli_prints_the_refusal(installed: list[_EP]) -> None:
    from qudao.web.cli import main

    installed += [_EP("future", _plugin("future", api=">=2.0,<3")), _EP("fine", _plugin("fine"))]
    host = PluginHost()
    host.load_entry_points()
    before = host_module._host
    host_module.set_host(host)
    try:
        out = CliRunner().invoke(main, ["plugins"]).output
    finally:
        host_module.set_host(before)
    assert "fine" in out
    refused = [line for line in out.splitlines() if "refused" in line]
    assert len(refused) == 1 and ">=2.0,<3" in refused[0] and API_VERSION in refused[0]


def test_unknown_hook_and_async_menu_are_refused() -> None:
    class Typo:
        meta = PluginMeta(name="typo", title="T", version="1")

        @hookimpl
        def qudao_order_placd(self, ctx: Any) -> None:
            return None

    class AsyncMenu:
        meta = PluginMeta(name="asyncmenu", title="A", version="1")

        @hookimpl
        async def qudao_admin_menu(self, ctx: Any) -> list[tuple[str, str]]:
            return []

    class WrongArgs:
        meta = PluginMeta(name="wrongargs", title="W", version="1")

        @hookimpl
        def qudao_admin_menu(self, ctx: Any, nonsense: Any) -> list[tuple[str, str]]:
            return []

    with pytest.raises(PluginError, match="typo.*qudao_order_placd"):
        PluginHost().register(Typo())
    with pytest.raises(PluginError, match="asyncmenu.*plain function"):
        PluginHost().register(AsyncMenu())
    with pytest.raises(PluginError, match="wrongargs.*nonsense"):
        PluginHost().register(WrongArgs())


def test_plugin_raising_in_its_route_hook_is_refused_and_the_app_starts(test_settings: Any) -> None:
    from qudao.web.app import create_app

    class NoRoutes:
        meta = PluginMeta(name="noroutes", title="N", version="1.2")

        @hookimpl
        def qudao_page_routes(self) -> list[Any]:
            raise RuntimeError("templates missing")

    host = PluginHost()
    host.register(NoRoutes())
    host.register(_plugin("fine"))
    host.register(_plugin("needs_noroutes", requires=("noroutes",)))
    app = create_app(test_settings, host, manage_broker=False)
    assert app is not None and host.names == ["fine"]
    assert "noroutes" in host.refused["noroutes"] and "templates missing" in host.refused["noroutes"]
    assert "needs_noroutes" in host.refused
    strict = PluginHost()
    strict.strict = True
    strict.register(NoRoutes())
    with pytest.raises(PluginError, match="templates missing"):
        create_app(test_settings, strict, manage_broker=False)
