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
    if locale not in _cache:
        _cache[locale] = gettext.translation("messages", localedir=str(LOCALES_DIR), languages=[locale],
                                             fallback=True)
    return _cache[locale]


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
