"""docs/plugin-api.md is generated from the hookspecs and kept true (issue 17)."""

from __future__ import annotations

import types

import pytest

from qudao.core.plugins import docs, hookspecs


def test_committed_reference_is_what_the_hookspecs_generate() -> None:
    assert docs.PAGE.exists(), "run: python -m qudao.core.plugins.docs"
    assert docs.PAGE.read_text(encoding="utf-8") == docs.render(), (
        "docs/plugin-api.md is stale (a hookspec or helper was added or changed): "
        "run python -m qudao.core.plugins.docs and commit the page")


def test_reference_names_every_hook_with_veto_and_async() -> None:
    page = docs.render()
    for name, _fn in docs.hook_functions():
        assert f"### `{name}`" in page
        section = page.split(f"### `{name}`", 1)[1].split("### ", 1)[0]
        assert "- may veto: " in section and "- may be `async def`: " in section
    assert "- may veto: yes" in page.split("### `qudao_order_placed`", 1)[1].split("### ", 1)[0]
    assert "no (a plain function)" in page.split("### `qudao_admin_menu`", 1)[1].split("### ", 1)[0]


def _copy_of_hookspecs() -> types.ModuleType:
    module = types.ModuleType(hookspecs.__name__)
    module.__dict__.update({k: v for k, v in vars(hookspecs).items() if not k.startswith("__")})
    return module


def test_an_added_or_changed_hookspec_changes_the_page() -> None:
    base = docs.render(_copy_of_hookspecs())

    added = _copy_of_hookspecs()

    def qudao_new_thing(ctx: object) -> None:
        """Called when something new happens."""

    qudao_new_thing.__module__ = hookspecs.__name__
    added.qudao_new_thing = qudao_new_thing  # type: ignore[attr-defined]
    assert docs.render(added) != base

    changed = _copy_of_hookspecs()

    def qudao_order_paid(ctx: object, order: object, when: object) -> None:
        """Called inside the transaction that marks an order fully paid."""

    qudao_order_paid.__module__ = hookspecs.__name__
    changed.qudao_order_paid = qudao_order_paid  # type: ignore[attr-defined]
    assert docs.render(changed) != base


def test_an_undocumented_hookspec_fails() -> None:
    module = _copy_of_hookspecs()

    def qudao_silent(ctx: object) -> None:
        pass

    qudao_silent.__module__ = hookspecs.__name__
    module.qudao_silent = qudao_silent  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="qudao_silent has no docstring"):
        docs.render(module)


def test_check_mode_reports_a_stale_page(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "plugin-api.md"  # type: ignore[operator]
    stale.write_text("old\n", encoding="utf-8")
    monkeypatch.setattr(docs, "PAGE", stale)
    assert docs.main(["--check"]) == 1
    assert docs.main([]) == 0 and docs.main(["--check"]) == 0


def test_hooks_called_without_awaiting_are_documented_as_plain() -> None:
    """The page says which hooks may be ``async def``: any hook the host calls directly (not through
    ``gather_hook``) must be in SYNC_HOOKS, or an async implementation would never be awaited."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    called = set()
    for folder in ("core", "web", "workers", "tenants", "plugins"):
        for path in (root / folder).rglob("*.py"):
            called |= set(re.findall(r"hooks\.(qudao_\w+)\(", path.read_text(encoding="utf-8")))
    assert called, "no direct hook calls found (did the call style change?)"
    assert called <= hookspecs.SYNC_HOOKS, f"called without awaiting but not in SYNC_HOOKS: {called - hookspecs.SYNC_HOOKS}"
