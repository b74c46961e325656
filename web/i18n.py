"""Translations (Babel/gettext): zh_CN and en ship; the tenant's locale is the default."""

from __future__ import annotations

import gettext
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from jinja2 import Environment

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
SUPPORTED = ("zh_CN", "en")
_current: ContextVar[str] = ContextVar("qudao_locale", default="zh_CN")
_cache: dict[str, gettext.NullTranslations] = {}


def translations(locale: str) -> gettext.NullTranslations:
    """Compiled in memory from the committed .po files (no binary .mo in the repo)."""
    if locale not in _cache:
        _cache[locale] = _load(locale)
    return _cache[locale]


def _load(locale: str) -> gettext.NullTranslations:
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    paths = [LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po", *_plugin_catalogs(locale)]
    result: gettext.NullTranslations = gettext.NullTranslations()
    for path in paths:
        if not path.exists():
            continue
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        translation = gettext.GNUTranslations(buf)
        if isinstance(result, gettext.GNUTranslations):
            result.add_fallback(translation)
        else:
            result = translation
    return result


def _plugin_catalogs(locale: str) -> list[Path]:
    """Each plugin's own catalog, built-in or installed with pip: ``<package_dir>/locales/…``."""
    from qudao.core.plugins.host import get_host

    dirs = sorted(LOCALES_DIR.parent.parent.glob("plugins/*"))
    dirs += [meta.package_dir for meta in get_host().metas.values() if meta.package_dir is not None]
    seen: dict[Path, None] = {}
    for folder in dirs:
        path = (Path(folder) / "locales" / locale / "LC_MESSAGES" / "messages.po").resolve()
        seen.setdefault(path, None)
    return list(seen)


def from_accept_language(header: str) -> str | None:
    """The supported locale the browser prefers most (``zh``, ``zh-CN``, ``zh-Hans`` → zh_CN; ``en-*`` → en)."""
    wanted: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        wanted.append((-q, i, tag.strip().lower()))
    for _q, _i, tag in sorted(wanted):
        if _q == 0:
            continue
        lang = tag.replace("_", "-").split("-")[0]
        if lang == "zh":
            return "zh_CN"
        if lang == "en":
            return "en"
    return None


def set_locale(locale: str | None) -> None:
    _current.set(locale if locale in SUPPORTED else "zh_CN")


def get_locale() -> str:
    return _current.get()


def gettext_(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def format_money(amount: Any, currency: str = "CNY", locale: str | None = None) -> str:
    """Money for people, per locale (Babel): ¥4,622.40 in zh_CN, CN¥4,622.40 in en; "" for None.

    The amount is quantized to the currency first (Decimal, half-up), never through a float."""
    from babel.numbers import format_currency

    from qudao.core.money import quantize

    if amount is None or amount == "":
        return ""
    try:
        value = quantize(Decimal(str(amount)), currency)
    except (InvalidOperation, ValueError):
        return str(amount)
    return format_currency(value, currency, locale=locale or get_locale())


def format_number(value: Any, locale: str | None = None) -> str:
    from babel.numbers import format_decimal

    return format_decimal(value, locale=locale or get_locale())


def install(env: Environment) -> None:
    env.install_gettext_callables(gettext_, ngettext_, newstyle=True)  # type: ignore[attr-defined]
    env.globals["current_locale"] = get_locale
    env.globals["format_money"] = format_money
    env.filters["number"] = format_number
