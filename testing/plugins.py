"""Which plugins the test app loads, and registering a plugin object for one test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from qudao.core.plugins.host import PluginHost, get_host


def make_host(only: set[str] | None = None) -> PluginHost:
    """A host with the installed plugins (``only`` narrows them; ``QUDAO_TEST_PLUGINS=a,b`` too).

    Strict: a plugin that cannot load fails the test run instead of being refused quietly.
    """
    host = PluginHost()
    env = set(filter(None, os.environ.get("QUDAO_TEST_PLUGINS", "").split(",")))
    if env:
        only = (only & env) if only is not None else env
    host.load_entry_points(only=only, strict=True)
    return host


@contextmanager
def installed_plugin(plugin: Any, host: PluginHost | None = None) -> Iterator[list[tuple[str, str]]]:
    """Register a plugin object (hooks only: no routes, tables or templates) in the running app
    for the duration of a ``with`` block; yields the ``(plugin, hook)`` failures logged meanwhile.

    Tenants still switch it on (``api.enable(name)``) before its hooks are called.
    """
    from qudao.core.plugins.isolation import failure_listeners

    host = host or get_host()
    failures: list[tuple[str, str]] = []

    def record(name: str, hook: str, exc: BaseException) -> None:
        failures.append((name, hook))

    host.register(plugin)
    failure_listeners.append(record)
    try:
        yield failures
    finally:
        failure_listeners.remove(record)
        host.pm.unregister(name=plugin.meta.name)
        del host.metas[plugin.meta.name]
        host.hooks_for.cache_clear()
