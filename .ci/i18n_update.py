#!/usr/bin/env python
"""Re-extract the UI strings and update the committed translation catalogs.

    python .ci/i18n_update.py            # extract, update web/locales/{zh_CN,en}, list what zh_CN lacks
    python .ci/i18n_update.py --check    # the same without writing; exit 1 if zh_CN lacks anything
    python .ci/i18n_update.py --fill new.json   # also fill zh_CN msgstrs from a {msgid: msgstr} JSON file

A plugin with its own ``plugins/<name>/locales/`` folder is a catalog of its own: its strings are
extracted from its folder into ``plugins/<name>/locales/{zh_CN,en}`` (the runtime loads those after
core's), and core's catalog leaves them out. Core's sources are ``web`` and the other plugins, with ``babel.cfg`` (Python: ``_``, ``N_``, ``gettext_``,
``ngettext_``; Jinja templates through ``jinja2.ext.i18n``). A few msgids only ever reach
``_()`` as variables (menus, status and role names, error titles, ...); they are listed in
``DYNAMIC_MSGIDS`` so an update keeps them. New msgids come in untranslated (never fuzzy-matched):
translate them, run again, commit ``web/locales``.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "web" / "locales"
SOURCES = ("web", "plugins")


def domains(root: Path = ROOT) -> list[tuple[str, tuple[str, ...], Path]]:
    """(name, source folders relative to ``root``, locales folder) of each catalog: core's, then each
    plugin that keeps its own ``locales/``."""
    own = sorted(d for d in (root / "plugins").iterdir() if (d / "locales").is_dir())
    core_sources = ("web", *sorted(f"plugins/{d.name}" for d in (root / "plugins").iterdir()
                                   if d.is_dir() and d not in own and not d.name.startswith(("_", "."))))
    return [("core", core_sources, root / "web" / "locales"),
            *[(f"plugins/{d.name}", (f"plugins/{d.name}",), d / "locales") for d in own]]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "gettext_": None, "ngettext_": (1, 2),
            "pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3)}
LANGS = ("zh_CN", "en")
PROJECT = "Qudao"

# Looked up at runtime through ``_(variable)``: extraction cannot see them.
DYNAMIC_MSGIDS = (
    # web/pages/admin/reports.py dashboard_stats
    "Awaiting approval",
    # core validation messages shown on storefront forms through _(message) (store/apply.html)
    "is required", "must be a valid email address", "must be at least 10 characters",
    "already has a login here: sign in instead", "has an application waiting for review already", "give a reason",
    # web/pages/admin/customers.py TYPE_LABELS
    "L1 distributor", "L2 distributor", "Store", "Key account",
    # core/pricing price labels (price checker, cart)
    "Customer price", "Tier price", "Base price", "Retail price",
    # auth/account.html: _(user.role or user.kind)
    "owner", "admin", "order_clerk", "warehouse", "finance", "sales_rep", "staff", "customer",
    # plugins/wechat/models.py STATUSES
    "queued", "sending", "sent", "failed_permanent", "retry_later", "outbox", "skipped",
    # cart adjustments: _(a.source)
    "promotions",
    # plugin menu entries (qudao_admin_menu / qudao_storefront_menu) not otherwise in a template
    "WeChat",
    # order statuses as stored (guest_checkout admin: _(o.status))
    "submitted", "approved", "rejected", "cancelled", "in_production", "picking", "shipped", "delivered",
    "received",
    # credit ledger kinds (plugins/credit/models.py ENTRY_KINDS)
    "charge", "release", "settle", "repayment", "adjustment", "limit",
    # payments: methods, payment/refund/settlement/account statuses, roles, balance kinds
    # ("paid" stays as is: tests/test_payments_browser.py reads it from the settlement lines)
    "card", "balance", "bank_transfer", "credit", "creating", "pending", "succeeded", "failed", "reversed",
    "kept", "offline", "recorded", "done", "active", "unpaid", "partly_paid", "full", "partial",
    "platform", "brand", "distributor", "topup", "pay", "refund",
    # promotions: status_of() and rule kinds
    "running", "scheduled", "ended", "paused", "used_up", "threshold_amount_off", "threshold_percent_off",
    "threshold_gift", "special_price", "coupon", "buy_x_get_y", "bundle",
    # web/problems.py and core/errors.py titles shown on error.html
    "Bad request", "Unauthorized", "Forbidden", "Not found", "Method not allowed", "Conflict",
    "Payload too large", "Unsupported media type", "Too many requests", "Error", "Internal server error",
    "Invalid input", "Order refused",
)

DEFAULT_MAPPING = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
DEFAULT_OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
PLACEHOLDER = re.compile(r"%\([A-Za-z0-9_]+\)[sdifr]|%[sdifr]|\{[A-Za-z0-9_]*\}")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def extract(root: Path = ROOT, sources: tuple[str, ...] = SOURCES, dynamic: bool = True) -> Catalog:
    """All msgids in ``sources``, as a template catalog."""
    cfg = root / "babel.cfg" if (root / "babel.cfg").exists() else None
    if cfg is None:  # the same mapping as babel.cfg
        method_map, options_map = DEFAULT_MAPPING, DEFAULT_OPTIONS
    else:
        with cfg.open() as fh:
            method_map, options_map = parse_mapping_cfg(fh)
    template = Catalog(project=PROJECT, fuzzy=False)
    for src in sources:
        for filename, lineno, message, comments, context in extract_from_dir(
                root / src, method_map, options_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
                strip_comment_tags=True):
            template.add(message, None, [(f"{src}/{filename}", lineno)], auto_comments=comments, context=context)
    for msgid in DYNAMIC_MSGIDS if dynamic else ():
        if msgid not in template:
            template.add(msgid, None, [(".ci/i18n_update.py", 0)])
    return template


def po_path(lang: str, locales: Path = LOCALES) -> Path:
    return locales / lang / "LC_MESSAGES" / "messages.po"


def load(lang: str, locales: Path = LOCALES) -> Catalog | None:
    path = po_path(lang, locales)
    if not path.exists():
        return None
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def update(template: Catalog, lang: str, locales: Path = LOCALES) -> Catalog:
    catalog = load(lang, locales)
    if catalog is None:
        catalog = Catalog(locale=lang, project=PROJECT, fuzzy=False)
    # a copy: Catalog.update() adopts the template's Message objects, so filling one locale
    # would otherwise fill the next one too
    catalog.update(copy.deepcopy(template), no_fuzzy_matching=True, update_header_comment=False,
                   update_creation_date=False)
    catalog.obsolete.clear()  # removed strings go; git history keeps their translations
    catalog.fuzzy = False
    return catalog


def problems(catalog: Catalog) -> list[str]:
    """Untranslated, fuzzy or placeholder-mismatched entries (for a locale that must be complete)."""
    out = []
    for msg in catalog:
        if not msg.id:
            continue
        ids = msg.id if isinstance(msg.id, tuple) else (msg.id,)
        strs = msg.string if isinstance(msg.string, tuple) else (msg.string,)
        where = ", ".join(f"{p}:{n}" for p, n in msg.locations[:2])
        if msg.fuzzy:
            out.append(f"fuzzy: {ids[0]!r} ({where})")
        elif not all(strs):
            out.append(f"untranslated: {ids[0]!r} ({where})")
        elif any(placeholders(ids[min(i, len(ids) - 1)]) != placeholders(s) for i, s in enumerate(strs)):
            out.append(f"placeholders differ: {ids[0]!r} -> {strs[0]!r}")
    return out


def fill(catalog: Catalog, translations: dict[str, str]) -> int:
    n = 0
    for msg in catalog:
        if msg.id and isinstance(msg.id, str) and msg.id in translations:
            msg.string = translations[msg.id]
            msg.flags.discard("fuzzy")
            n += 1
    return n


def save(catalog: Catalog, lang: str, locales: Path = LOCALES) -> None:
    path = po_path(lang, locales)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=0, sort_output=True, no_location=True, include_previous=False,
                 ignore_obsolete=True)


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if zh_CN is incomplete")
    parser.add_argument("--fill", type=Path, help="JSON {msgid: msgstr} to fill into zh_CN")
    args = parser.parse_args(list(argv) if argv is not None else None)

    fills = json.loads(args.fill.read_text("utf-8")) if args.fill else None
    bad: list[str] = []
    for name, sources, locales in domains():
        template = extract(ROOT, sources, dynamic=name == "core")
        print(f"{name}: extracted {len(template)} msgids from {', '.join(sources)}")
        for lang in LANGS:
            catalog = update(template, lang, locales)
            if lang == "zh_CN":
                if fills:
                    print(f"  filled {fill(catalog, fills)} from {args.fill}")
                found = problems(catalog)
                bad += [f"{name}: {line}" for line in found]
                print(f"  zh_CN: {len(template) - len(found)}/{len(template)} translated, {len(found)} to do")
            if not args.check:
                save(catalog, lang, locales)
    for line in bad:
        print(line)
    return 1 if bad and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
