"""Translations (Babel/gettext): zh_CN and en ship; the tenant's locale is the default."""

from __future__ import annotations

import gettext
from contextvars import ContextVar
from pathlib import Path

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

    paths = [LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"]
    paths += sorted(LOCALES_DIR.parent.parent.glob(f"plugins/*/locales/{locale}/LC_MESSAGES/messages.po"))
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


def set_locale(locale: str | None) -> None:
    _current.set(locale if locale in SUPPORTED else "zh_CN")


def get_locale() -> str:
    return _current.get()


def gettext_(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def install(env: Environment) -> None:
    env.install_gettext_callables(gettext_, ngettext_, newstyle=True)  # type: ignore[attr-defined]
    env.globals["current_locale"] = get_locale
