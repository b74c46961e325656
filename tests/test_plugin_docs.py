"""The plugin API is documented and versioned; incompatible plugins are refused with a clear message."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from qudao.core.plugins import hookspecs
from qudao.core.plugins.host import PluginError, PluginHost
from qudao.core.plugins.meta import PluginMeta

README = Path(__file__).resolve().parent.parent / "README.md"


def hook_names() -> list[str]:
    return [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("qudao_")]


def test_every_hookspec_is_in_the_plugin_guide() -> None:
    guide = README.read_text(encoding="utf-8").split("## Writing a plugin", 1)[1]
    missing = [name for name in hook_names() if f"`{name}(" not in guide]
    assert not missing, f"document these hooks in README.md 'Writing a plugin': {missing}"


def test_every_hookspec_has_a_docstring() -> None:
    for name in hook_names():
        assert (getattr(hookspecs, name).__doc__ or "").strip(), name


class _Plugin:
    def __init__(self, api: str, name: str = "thirdparty") -> None:
        self.meta = PluginMeta(name=name, title="T", version="9.9", api=api)


def test_incompatible_plugin_refused_with_clear_message() -> None:
    host = PluginHost()
    with pytest.raises(PluginError) as err:
        host.register(_Plugin(">=2.0,<3"))
    message = str(err.value)
    assert "thirdparty" in message and ">=2.0,<3" in message and hookspecs.API_VERSION in message


def test_compatible_plugin_loads_and_missing_requirement_refused() -> None:
    host = PluginHost()
    host.register(_Plugin(">=1.0,<2"))
    assert "thirdparty" in host.names
    needy = _Plugin(">=1.0,<2", name="needy")
    needy.meta = PluginMeta(name="needy", title="N", version="1", requires=("absent",))
    host.register(needy)
    with pytest.raises(PluginError, match="absent"):
        host.check_requirements()


def test_builtin_plugins_declare_entry_points() -> None:
    from importlib.metadata import entry_points

    names = {ep.name for ep in entry_points(group="qudao.plugins")}
    assert {"promotions", "credit", "guest_checkout", "brand_isolation", "wechat", "payments"} <= names


def test_hooks_only_reach_enabled_plugins() -> None:
    from qudao.core.plugin_api import hookimpl

    calls: list[str] = []

    class Spy:
        def __init__(self, name: str) -> None:
            self.meta = PluginMeta(name=name, title=name, version="1")

        @hookimpl
        def qudao_admin_menu(self, ctx: object) -> list[tuple[str, str]]:
            calls.append(self.meta.name)
            return [(self.meta.name, "/x")]

    host = PluginHost()
    host.register(Spy("one"))
    host.register(Spy("two"))
    assert host.hooks_for(frozenset({"two"})).qudao_admin_menu(ctx=None) == [[("two", "/x")]]
    assert calls == ["two"]
    assert host.hooks_for(frozenset()).qudao_admin_menu(ctx=None) == []
