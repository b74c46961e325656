"""``qudao plugin new NAME``: writes a ready plugin package from ``web/plugin_template/``.

Every file there ends in ``.tmpl``; ``@@name@@``-style tokens (in paths and contents) are
replaced. The result installs with ``pip install -e DIR``, is listed by ``qudao plugins``,
migrated by ``qudao db upgrade`` and tested by ``pytest DIR`` with the ``qudao.testing`` kit.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from qudao.core.plugins.hookspecs import API_VERSION

TEMPLATE = Path(__file__).resolve().parent / "plugin_template"
NAME = re.compile(r"^[a-z][a-z0-9_]{1,38}[a-z0-9]$")


class ScaffoldError(ValueError):
    """The name or the target folder cannot be used; nothing was written."""


def api_range(version: str = API_VERSION) -> str:
    """The plugin API versions a new plugin supports: this one up to the next major."""
    major = int(version.split(".", 1)[0])
    return f">={version},<{major + 1}"


def tokens(name: str, title: str | None = None) -> dict[str, str]:
    title = title or name.replace("_", " ").title()
    return {
        "@@name@@": name, "@@module@@": f"qudao_{name}", "@@dist@@": f"qudao-{name.replace('_', '-')}",
        "@@title@@": title, "@@title_zh@@": title,
        "@@class@@": "".join(part.title() for part in name.split("_")),
        "@@api@@": api_range(), "@@date@@": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
    }


def new_plugin(name: str, target: Path, title: str | None = None,
               taken: set[str] | frozenset[str] = frozenset()) -> list[Path]:
    """Write the package into ``target`` (absent or empty); returns the files written."""
    if not NAME.match(name) or "__" in name:
        raise ScaffoldError(f"plugin name {name!r}: use 3-40 lowercase letters, digits and single underscores, "
                            "starting with a letter (it prefixes the plugin's tables)")
    if name in taken:
        raise ScaffoldError(f"a plugin named '{name}' is already installed")
    if target.exists() and any(target.iterdir()):
        raise ScaffoldError(f"{target} is not empty")
    values = tokens(name, title)

    def fill(text: str) -> str:
        for token, value in values.items():
            text = text.replace(token, value)
        return text

    written = []
    for source in sorted(TEMPLATE.rglob("*.tmpl")):
        dest = target / fill(str(source.relative_to(TEMPLATE)))[: -len(".tmpl")]
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(fill(source.read_text(encoding="utf-8")), encoding="utf-8")
        written.append(dest)
    return written
