"""Translations: the zh_CN catalog is complete and well-formed, pages render in the
visitor's language, and every UI string in the sources is in the catalog.

When ``test_every_ui_string_is_in_the_catalog`` fails, run ``python .ci/i18n_update.py``,
translate the listed msgids in web/locales/zh_CN/LC_MESSAGES/messages.po (or the plugin's own
plugins/<name>/locales/zh_CN/LC_MESSAGES/messages.po) and commit.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from tests.conftest import TenantAPI, web_login

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "web" / "locales"
HAN = re.compile(r"[\u4e00-\u9fff]")


def _i18n_update() -> Any:
    """``.ci/i18n_update.py`` (not a package): its extraction and placeholder rules are the ones checked here."""
    spec = importlib.util.spec_from_file_location("i18n_update", ROOT / ".ci" / "i18n_update.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


i18n_update = _i18n_update()
PLACEHOLDER = i18n_update.PLACEHOLDER


def catalog(lang: str) -> Catalog:
    """Core's catalog with every plugin's own catalog (plugins/<name>/locales) added to it."""
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        merged = read_po(fh, locale=lang)
    for path in sorted(ROOT.glob(f"plugins/*/locales/{lang}/LC_MESSAGES/messages.po")):
        with path.open("rb") as fh:
            for message in read_po(fh, locale=lang):
                if message.id and message.id not in merged:
                    merged[message.id] = message
    return merged


def entries(cat: Catalog) -> list[Any]:
    return [m for m in cat if m.id]


def as_tuple(value: Any) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


placeholders = i18n_update.placeholders


# --- (a) the catalogs ---------------------------------------------------------------


def test_zh_cn_catalog_is_complete() -> None:
    cat = catalog("zh_CN")
    assert len(entries(cat)) > 500
    assert not cat.fuzzy, "the zh_CN catalog header is marked fuzzy"
    untranslated = [m.id for m in entries(cat) if not all(as_tuple(m.string))]
    fuzzy = [m.id for m in entries(cat) if m.fuzzy]
    assert not untranslated, f"untranslated zh_CN entries: {untranslated}"
    assert not fuzzy, f"fuzzy zh_CN entries: {fuzzy}"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_placeholders_match(lang: str) -> None:
    wrong = []
    for m in entries(catalog(lang)):
        ids, strs = as_tuple(m.id), as_tuple(m.string)
        for i, s in enumerate(strs):
            if s and placeholders(ids[min(i, len(ids) - 1)]) != placeholders(s):
                wrong.append((m.id, s))
    assert not wrong, f"placeholders differ between msgid and msgstr: {wrong}"


def test_zh_cn_translations_are_chinese_and_safe_for_jinja() -> None:
    """Every msgstr carries Chinese (or is a code/term kept as is) and has no stray '%',
    which Jinja's new-style gettext would choke on when formatting."""
    cat = catalog("zh_CN")
    no_han = [m.id for m in entries(cat) if not any(HAN.search(s) for s in as_tuple(m.string))]
    assert len(no_han) <= 5, f"msgstrs without Chinese: {no_han}"
    stray = [m.id for m in entries(cat) for s in as_tuple(m.string) if "%" in PLACEHOLDER.sub("", s)]
    assert not stray, f"msgstrs with a literal %: {stray}"


def test_en_catalog_falls_back_to_msgids() -> None:
    zh, en = catalog("zh_CN"), catalog("en")
    assert not [m.id for m in entries(en) if m.fuzzy]
    assert {m.id for m in entries(zh)} == {m.id for m in entries(en)}
    chinese = [m.id for m in entries(en) if any(HAN.search(s or "") for s in as_tuple(m.string))]
    assert not chinese, f"en msgstrs in Chinese: {chinese}"


def test_gettext_in_memory() -> None:
    from qudao.web import i18n

    assert i18n.translations("zh_CN").gettext("Sign in") == "登录"
    assert i18n.translations("zh_CN").gettext("Dashboard") == "工作台"
    assert i18n.translations("zh_CN").gettext("Submitted") == "待审核"
    assert i18n.translations("en").gettext("Sign in") == "Sign in"


# --- (b) real pages in both languages --------------------------------------------------


def test_login_page_in_tenant_locale_and_in_english(client: Any, tenant: TenantAPI) -> None:
    # an explicit Cookie header keeps the shared client's cookie jar (and any qd_lang in it) out
    zh = client.get(f"/t/{tenant.slug}/login", headers={"Cookie": "qd_test=1"})
    assert zh.status_code == 200, zh.text[:300]
    assert "登录" in zh.text and "密码" in zh.text
    assert "Sign in" not in zh.text and "Password" not in zh.text

    en = client.get(f"/t/{tenant.slug}/login", headers={"Cookie": "qd_lang=en"})
    assert en.status_code == 200, en.text[:300]
    assert "Sign in" in en.text and "Password" in en.text
    assert "登录" not in en.text


def test_admin_menu_and_dashboard_in_chinese(web: Any, tenant: TenantAPI) -> None:
    web_login(web, tenant.slug, f"owner@{tenant.slug}.test")
    resp = web.get(f"/t/{tenant.slug}/admin")
    assert resp.status_code == 200, resp.text[:300]
    for word in ("工作台", "订单", "商品", "客户", "价格", "库存", "设置", "插件", "退出", "待审核"):
        assert word in resp.text, word
    for word in ("Dashboard", "Sign out", "Awaiting approval"):
        assert word not in resp.text, word


# --- (c) nothing in the sources is missing from the catalog ------------------------------


def extracted_msgids() -> dict[str, str]:
    """msgid -> first place it is used, for web/ and plugins/ as babel.cfg maps them (extracted as
    ``.ci/i18n_update.py`` does, without the msgids it adds for ``_(variable)``)."""
    found: dict[str, str] = {}
    for message in entries(i18n_update.extract(ROOT, ("web", "plugins"), dynamic=False)):
        where, lineno = message.locations[0]
        found.setdefault(as_tuple(message.id)[0], f"{where}:{lineno}")
    return found


def test_every_ui_string_is_in_the_catalog() -> None:
    found = extracted_msgids()
    assert any(where.endswith(".html") or ".html:" in where for where in found.values())
    known = {as_tuple(m.id)[0] for m in entries(catalog("zh_CN")) if all(as_tuple(m.string)) and not m.fuzzy}
    missing = sorted(f"{where}: {msgid!r}" for msgid, where in found.items() if msgid not in known)
    assert not missing, ("UI strings missing from web/locales/zh_CN (run python .ci/i18n_update.py and "
                         "translate them):\n" + "\n".join(missing))
