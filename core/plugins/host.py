"""Loads plugins from the ``qudao.plugins`` entry-point group and calls them per tenant.

Built-in and third-party plugins load the same way. A plugin whose declared API
range does not include ``API_VERSION`` is refused at start with a clear message.
"""

from __future__ import annotations

import inspect
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any

import pluggy
import structlog
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from qudao.core.plugins import hookspecs
from qudao.core.plugins.isolation import SafeCaller, gather_hook
from qudao.core.plugins.meta import PluginMeta

log = structlog.get_logger("qudao.plugins")
__all__ = ["PluginError", "PluginHost", "TenantHooks", "gather_hook", "get_host", "set_host"]


class PluginError(RuntimeError):
    """A plugin cannot be loaded (incompatible API, missing dependency, bad metadata)."""


class PluginHost:
    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("qudao")
        self.pm.add_hookspecs(hookspecs)
        self.metas: dict[str, PluginMeta] = {}
        self.refused: dict[str, str] = {}  # entry-point name -> why it was not loaded
        self.strict = False

    def register(self, plugin: Any) -> None:
        meta: PluginMeta | None = getattr(plugin, "meta", None)
        if not isinstance(meta, PluginMeta):
            raise PluginError(f"plugin {plugin!r} has no PluginMeta 'meta' attribute")
        try:
            supported = SpecifierSet(meta.api)
        except InvalidSpecifier:
            raise PluginError(f"plugin '{meta.name}' declares an invalid API range {meta.api!r}") from None
        if Version(hookspecs.API_VERSION) not in supported:
            raise PluginError(
                f"plugin '{meta.name}' {meta.version} needs plugin API {meta.api}, "
                f"but this Qudao provides API {hookspecs.API_VERSION}; upgrade the plugin or Qudao"
            )
        if meta.name in self.metas:
            raise PluginError(f"two plugins are named '{meta.name}'")
        _check_hooks(plugin, meta)
        try:
            self.pm.register(plugin, name=meta.name)
        except pluggy.PluginValidationError as exc:
            detail = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
            raise PluginError(f"plugin '{meta.name}' {meta.version}: {detail}") from None
        self.metas[meta.name] = meta
        self.hooks_for.cache_clear()

    def load_entry_points(self, group: str = "qudao.plugins", *, only: set[str] | None = None,
                          strict: bool = False) -> None:
        """Load every installed plugin. One that cannot load (an API range that excludes this host,
        an import error, bad metadata, a missing required plugin) is refused with one clear line,
        logged and kept in ``refused``, and the others load; ``strict`` raises instead (tests)."""
        self.strict = strict
        for ep in sorted(entry_points(group=group), key=lambda e: e.name):
            if only is not None and ep.name not in only:
                continue
            try:
                self.register(ep.load())
            except Exception as exc:  # noqa: BLE001 - report which plugin broke the start
                error = exc if isinstance(exc, PluginError) else PluginError(
                    f"plugin entry point '{ep.name}' failed to load: {type(exc).__name__}: {exc}")
                if strict:
                    raise error from exc
                self.refuse(ep.name, str(error))
        self.check_requirements(strict=strict)

    def refuse(self, name: str, line: str) -> None:
        """Take a plugin out (it stays installed): one line logged and kept in ``refused``; in a
        strict host (tests) raise instead."""
        if self.strict:
            raise PluginError(line)
        self.refused[name] = line
        log.warning("plugin_refused", plugin=name, reason=line)
        if name in self.metas:
            self.pm.unregister(name=name)
            del self.metas[name]
            self.hooks_for.cache_clear()

    def check_requirements(self, strict: bool = True) -> None:
        changed = True
        while changed:  # refusing one plugin may leave another without its requirement
            changed = False
            for meta in list(self.metas.values()):
                missing = [r for r in meta.requires if r not in self.metas]
                if missing:
                    line = f"plugin '{meta.name}' requires plugins not installed: {', '.join(missing)}"
                    if strict:
                        raise PluginError(line)
                    self.refuse(meta.name, line)
                    changed = True

    @property
    def names(self) -> list[str]:
        return sorted(self.metas)

    def plugin(self, name: str) -> Any:
        return self.pm.get_plugin(name)

    @lru_cache(maxsize=256)  # noqa: B019 - one host per process; keyed by the enabled set
    def hooks_for(self, enabled: frozenset[str]) -> TenantHooks:
        return TenantHooks(self, enabled)

    def all_hooks(self) -> Any:
        return self.pm.hook


class TenantHooks:
    """Hook callers restricted to one tenant's enabled plugins (pluggy subset_hook_caller)."""

    def __init__(self, host: PluginHost, enabled: frozenset[str]) -> None:
        self.enabled = enabled
        self._remove = [host.pm.get_plugin(n) for n in host.metas if n not in enabled]
        self._host = host
        self._callers: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        caller = self._callers.get(name)
        if caller is None:
            caller = SafeCaller(self._host.pm.subset_hook_caller(name, remove_plugins=self._remove))
            self._callers[name] = caller
        return caller


_host: PluginHost | None = None


def get_host() -> PluginHost:
    """The process-wide host, loaded from entry points on first use."""
    global _host
    if _host is None:
        host = PluginHost()
        host.load_entry_points()
        _host = host
    return _host


def set_host(host: PluginHost | None) -> None:
    global _host
    _host = host


def _check_hooks(plugin: Any, meta: PluginMeta) -> None:
    """Refuse, with one line, a hook the host does not define, an ``async def`` where it cannot await,
    or menu entries declared in the meta that no hook serves (a plugin not built on ``RoutedPlugin``)."""
    for attr in dir(plugin):
        if not attr.startswith("qudao_"):
            continue
        fn = getattr(plugin, attr, None)
        if not callable(fn) or not hasattr(fn, "qudao_impl"):
            continue
        if not hasattr(hookspecs, attr):
            raise PluginError(f"plugin '{meta.name}' {meta.version} implements '{attr}', which plugin API "
                              f"{hookspecs.API_VERSION} does not define (a typo, or a newer API?)")
        if attr in hookspecs.SYNC_HOOKS and inspect.iscoroutinefunction(fn):
            raise PluginError(f"plugin '{meta.name}' {meta.version}: '{attr}' must be a plain function, "
                              "not async def")
    for declared, hook in (("admin_menu", "qudao_admin_menu"), ("storefront_menu", "qudao_storefront_menu")):
        if getattr(meta, declared) and not hasattr(getattr(plugin, hook, None), "qudao_impl"):
            raise PluginError(f"plugin '{meta.name}' {meta.version} declares {declared} but does not serve it: "
                              f"subclass RoutedPlugin (or implement {hook})")
