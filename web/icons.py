"""Icons from the vendored Lucide set (web/static/vendor/lucide), inlined as SVG by the
``icon()`` template global: no icon font, no extra request, nothing for a CSP to block."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment
from markupsafe import Markup

ICON_DIR = Path(__file__).resolve().parent / "static" / "vendor" / "lucide"
_NAME = re.compile(r"^[a-z0-9-]{1,40}$")


@lru_cache(maxsize=256)
def _svg(name: str) -> str:
    path = ICON_DIR / f"{name}.svg"
    if not _NAME.match(name) or not path.is_file():
        path = ICON_DIR / "puzzle.svg"
    text = re.sub(r"<!--.*?-->", "", path.read_text(encoding="utf-8"), flags=re.S).strip()
    text = re.sub(r'\s*class="[^"]*"', "", text, count=1)
    text = re.sub(r'\s*(width|height)="24"', "", text)
    return re.sub(r"\s+", " ", text).replace("<svg ", '<svg class="icon {cls}" aria-hidden="true" focusable="false" ', 1)


def icon(name: str, cls: str = "") -> Markup:
    """``{{ icon("package") }}``: an unknown name shows the puzzle piece rather than failing."""
    return Markup(_svg(name).replace("{cls}", re.sub(r"[^a-z0-9 _-]", "", cls)))  # noqa: S704 - our own files


def install(env: Environment) -> None:
    env.globals["icon"] = icon
