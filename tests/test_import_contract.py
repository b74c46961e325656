"""The import contract between the layers (docs/architecture.md), read from every module's AST.

* ``qudao.core`` and ``qudao.tenants`` never import ``qudao.web``, ``qudao.workers`` or
  ``qudao.plugins`` (they reach plugins only through hooks);
* a plugin never imports another plugin (it talks to it through hooks);
* ``qudao.web`` and ``qudao.workers`` import a plugin only through its public face: the plugin
  package itself (``qudao.plugins.<name>``, i.e. what its ``__init__`` defines), never one of
  its modules (``qudao.plugins.<name>.service``, ``from qudao.plugins.<name> import models``).

Imports inside functions count too. No module is imported to check this, so it also holds for
code that only runs in one configuration.

A second test resolves every ``from qudao… import name`` in the tree, also those inside functions
(a hook's lazy import), so a module that was moved or split cannot leave a stale import behind
that only fails when that code path runs.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"core": "qudao.core", "tenants": "qudao.tenants", "plugins": "qudao.plugins", "web": "qudao.web",
            "workers": "qudao.workers"}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGES[parts[0]], *parts[1:]])


def modules() -> list[tuple[str, Path]]:
    out = []
    for folder in PACKAGES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            out.append((module_name(path), path))
    return out


MODULES = modules()
KNOWN = {name for name, _ in MODULES}


def imported(name: str, path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, as absolute dotted names (``from a import b`` gives ``a.b`` when
    ``a.b`` is a module, else ``a``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                out.append((node.lineno, full if full in KNOWN else base))
    return out


def plugin_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["qudao", "plugins"] else None


def layer(name: str) -> str:
    return name.split(".")[1] if name.startswith("qudao.") and name.count(".") >= 1 else ""


def violations() -> list[str]:
    problems = []
    for name, path in MODULES:
        where = f"{path.relative_to(ROOT)}"
        own_layer, own_plugin = layer(name), plugin_of(name)
        for line, target in imported(name, path):
            if not target.startswith("qudao."):
                continue
            target_layer, target_plugin = layer(target), plugin_of(target)
            if own_layer in ("core", "tenants") and target_layer in ("web", "workers", "plugins"):
                problems.append(f"{where}:{line}: {own_layer} imports {target}")
            elif own_plugin and target_plugin and target_plugin != own_plugin:
                problems.append(f"{where}:{line}: plugin {own_plugin} imports plugin {target_plugin} ({target})")
            elif own_layer in ("web", "workers") and target_plugin and target != f"qudao.plugins.{target_plugin}":
                problems.append(f"{where}:{line}: {own_layer} imports {target}, a private module of the "
                                f"{target_plugin} plugin (use the plugin package or a hook)")
    return problems


def test_the_layers_import_one_way() -> None:
    assert violations() == []


def test_every_qudao_import_resolves() -> None:
    """``from qudao.x import y``: ``qudao.x`` imports and has ``y`` (a name or a submodule)."""
    missing = []
    for name, path in MODULES:
        if "migrations" in path.parts:
            continue
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.ImportFrom):
                continue
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            if not base.startswith("qudao."):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            try:
                module = importlib.import_module(base)
            except ImportError as exc:
                missing.append(f"{where}: {base} ({exc})")
                continue
            for alias in node.names:
                if alias.name != "*" and not hasattr(module, alias.name) \
                        and f"{base}.{alias.name}" not in KNOWN:
                    missing.append(f"{where}: {base} has no {alias.name}")
    assert missing == []


@pytest.mark.parametrize(("name", "code", "broken"), [
    ("qudao.core.orders.x", "from qudao.web.context import RequestContext", True),
    ("qudao.core.orders.x", "def f():\n    import qudao.plugins.credit", True),
    ("qudao.plugins.credit.x", "from qudao.plugins.payments import common", True),
    ("qudao.plugins.credit.x", "from qudao.plugins.credit import accounts", False),
    ("qudao.plugins.credit.x", "from . import accounts", False),
    ("qudao.web.pages.x", "from qudao.plugins.payments import common", True),
    ("qudao.web.pages.x", "from qudao.plugins.payments import plugin", False),
    ("qudao.web.pages.x", "import qudao.plugins.payments.models", True),
])
def test_the_check_sees_what_it_should(tmp_path: Path, name: str, code: str, broken: bool,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker itself: a forbidden import in a made-up module is reported, an allowed one not."""
    path = tmp_path / "x.py"
    path.write_text(code + "\n")
    monkeypatch.setattr("tests.test_import_contract.MODULES", [(name, path)])
    monkeypatch.setattr("tests.test_import_contract.ROOT", tmp_path)
    assert bool(violations()) is broken
