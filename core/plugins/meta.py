"""Plugin metadata and settings schema (rendered as a form, validated on save)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from qudao.core.validation import as_bool


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str = "str"  # str | secret | bool | int | decimal | choice | text
    label: str = ""
    default: Any = None
    required: bool = False
    choices: tuple[str, ...] = ()
    min: Decimal | int | None = None
    max: Decimal | int | None = None
    help: str = ""


MenuEntry = tuple[str, str]  # (label, path)


@dataclass(frozen=True)
class PluginMeta:
    """What a plugin is. ``admin_menu`` / ``storefront_menu`` declare the usual menu entries
    without writing the menu hooks (``RoutedPlugin`` serves them): admin entries go to staff,
    paths relative to ``/t/{slug}/admin``; storefront entries go to a buyer signed in for a
    customer (``ctx.customer`` set), paths relative to ``/t/{slug}``. A menu that depends on more
    (visitors, roles) stays an explicit ``qudao_*_menu`` hook, which replaces the declared one."""

    name: str
    title: str
    version: str
    api: str = ">=1.0,<2"
    description: str = ""
    requires: tuple[str, ...] = ()
    settings: tuple[Setting, ...] = ()
    package_dir: Path | None = None
    actors: tuple[str, ...] = field(default=())
    admin_menu: tuple[MenuEntry, ...] = ()
    storefront_menu: tuple[MenuEntry, ...] = ()

    @property
    def migrations_dir(self) -> Path | None:
        path = self.package_dir / "migrations" if self.package_dir else None
        return path if path and (path / "env.py").exists() else None

    @property
    def templates_dir(self) -> Path | None:
        path = self.package_dir / "templates" if self.package_dir else None
        return path if path and path.is_dir() else None

    @property
    def static_dir(self) -> Path | None:
        path = self.package_dir / "static" if self.package_dir else None
        return path if path and path.is_dir() else None

    def defaults(self) -> dict[str, Any]:
        return {s.name: s.default for s in self.settings}


def validate_settings(meta: PluginMeta, data: Any) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Return (clean settings, errors). Unknown keys are errors; nothing is stored on error."""
    if data is None:
        return meta.defaults(), []
    if not isinstance(data, dict):
        return {}, [{"field": "settings", "message": "must be an object"}]
    errors: list[dict[str, str]] = []
    known = {s.name: s for s in meta.settings}
    for key in data:
        if key not in known:
            errors.append({"field": f"settings.{key}", "message": "unknown setting"})
    clean: dict[str, Any] = {}
    for s in meta.settings:
        field_name = f"settings.{s.name}"
        if s.name not in data or data[s.name] in (None, ""):
            if s.required:
                errors.append({"field": field_name, "message": "is required"})
            clean[s.name] = s.default
            continue
        value = data[s.name]
        try:
            clean[s.name] = _coerce(s, value)
        except ValueError as exc:
            errors.append({"field": field_name, "message": str(exc)})
    return clean, errors


def _coerce(s: Setting, value: Any) -> Any:
    if s.kind == "bool":
        if (flag := as_bool(value)) is None:
            raise ValueError("must be true or false")
        return flag
    if s.kind == "int":
        if isinstance(value, bool):
            raise ValueError("must be a whole number")
        try:
            number = int(str(value))
        except ValueError:
            raise ValueError("must be a whole number") from None
        _range(s, number)
        return number
    if s.kind == "decimal":
        try:
            dec = Decimal(str(value))
        except InvalidOperation:
            raise ValueError("must be a number") from None
        if not dec.is_finite():
            raise ValueError("must be a number")
        _range(s, dec)
        return str(dec)
    if s.kind == "choice":
        if value not in s.choices:
            raise ValueError(f"must be one of {', '.join(s.choices)}")
        return value
    if not isinstance(value, str):
        raise ValueError("must be text")
    if len(value) > 2000:
        raise ValueError("is too long")
    return value


def _range(s: Setting, value: Any) -> None:
    if s.min is not None and value < s.min:
        raise ValueError(f"must be at least {s.min}")
    if s.max is not None and value > s.max:
        raise ValueError(f"must be at most {s.max}")
