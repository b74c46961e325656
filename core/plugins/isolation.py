"""One broken plugin does not take a tenant's pages down: each hook implementation runs on its own.

A plugin that raises in a hook is logged (``plugin_hook_failed`` with the plugin's name and the
hook) and then:

- in an ordinary hook (menus, badges, adjustments, events, …) its result is skipped and the
  request goes on with the other plugins' results;
- in a veto hook (``VETO_HOOKS``: its results refuse an order or an edit) the failure is a
  ``plugin_failed`` violation, so the order is refused with a clear message, never placed unchecked;
- in a restricting hook (``qudao_product_criteria``) the buyer sees no products rather than
  products the plugin would have hidden;
- a database error leaves the transaction unusable (PostgreSQL refuses every later statement), so
  it becomes :class:`PluginFailed` (503, the transaction rolls back, nothing changed).

What a plugin wrote to the session before raising in an ordinary hook is not undone (no savepoint
per call: the order path stays at its query count).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import false
from sqlalchemy.exc import DBAPIError

from qudao.core.errors import QudaoError
from qudao.core.plugins.hookspecs import RESTRICTING_HOOKS, VETO_HOOKS

log = structlog.get_logger("qudao.plugins")
_SKIP = object()
# Called with (plugin, hook, exception) for every failure; the test kit records them.
failure_listeners: list[Callable[[str, str, BaseException], None]] = []


class PluginFailed(QudaoError):
    """A plugin broke the current transaction; nothing was changed."""

    status = 503
    title = "A plugin failed"


def _failed(hook: str, plugin: str, exc: Exception) -> Any:
    log.error("plugin_hook_failed", plugin=plugin, hook=hook, error=f"{type(exc).__name__}: {exc}",
              exc_info=exc)
    for listener in list(failure_listeners):
        listener(plugin, hook, exc)
    if isinstance(exc, DBAPIError):
        raise PluginFailed(f"the '{plugin}' plugin failed ({hook}); nothing was changed, try again later",
                           plugin=plugin) from exc
    if hook in VETO_HOOKS:
        from qudao.core.orders.cart import Violation

        return [Violation("plugin_failed", f"the '{plugin}' plugin could not check this; try again later")]
    if hook in RESTRICTING_HOOKS:
        return [false()]
    return _SKIP


def _plain(caller: Any) -> bool:
    """Wrappers need pluggy's own call loop (no plugin of ours uses them)."""
    return any(impl.hookwrapper or impl.wrapper for impl in caller.get_hookimpls())


def _firstresult(caller: Any) -> bool:
    spec = getattr(caller, "spec", None)
    return bool(spec and spec.opts.get("firstresult"))


def call_hook(caller: Any, **kwargs: Any) -> Any:
    """Call a plain (sync) hook like pluggy does, but one implementation's exception is isolated."""
    if _plain(caller):
        return caller(**kwargs)
    name, first = caller.name, _firstresult(caller)
    results: list[Any] = []
    for impl in reversed(caller.get_hookimpls()):  # pluggy's call order
        try:
            result = impl.function(*[kwargs[arg] for arg in impl.argnames])
        except Exception as exc:  # noqa: BLE001 - isolate the plugin, see module docstring
            result = _failed(name, impl.plugin_name, exc)
            if result is _SKIP:
                continue
        if result is not None:
            if first:
                return result
            results.append(result)
    return None if first else results


async def gather_hook(caller: Any, **kwargs: Any) -> list[Any]:
    """Call a hook whose implementations may be ``async def``; await each result in order.

    Implementations run one after another on the same session (never concurrently); one that
    raises is isolated as the module docstring says.
    """
    if _plain(caller):
        results = []
        for result in caller(**kwargs):
            results.append(await result if inspect.isawaitable(result) else result)
        return results
    name = caller.name
    results = []
    for impl in reversed(caller.get_hookimpls()):
        try:
            result = impl.function(*[kwargs[arg] for arg in impl.argnames])
            if inspect.isawaitable(result):
                result = await result
            elif result is None:
                continue  # pluggy drops None from plain implementations
        except Exception as exc:  # noqa: BLE001 - isolate the plugin, see module docstring
            result = _failed(name, impl.plugin_name, exc)
            if result is _SKIP:
                continue
        results.append(result)
    return results


class SafeCaller:
    """A hook caller whose call isolates each implementation (what ``ctx.hooks.<name>`` returns)."""

    __slots__ = ("_caller",)

    def __init__(self, caller: Any) -> None:
        self._caller = caller

    @property
    def name(self) -> str:
        return str(self._caller.name)

    @property
    def spec(self) -> Any:
        return self._caller.spec

    def get_hookimpls(self) -> list[Any]:
        return self._caller.get_hookimpls()

    def __call__(self, **kwargs: Any) -> Any:
        return call_hook(self._caller, **kwargs)
