"""Search keys: name, SKU, ERP code, barcode and the pinyin initials of Chinese names."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin


def pinyin_initials(text: str) -> str:
    return "".join(p[0] for p in lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore") if p).lower()


def search_key(*parts: str | None) -> str:
    words = [p for p in parts if p]
    name = words[0] if words else ""
    full = "".join(lazy_pinyin(name, errors="ignore")).lower()
    return " ".join([*(w.lower() for w in words), pinyin_initials(name), full])[:600]
