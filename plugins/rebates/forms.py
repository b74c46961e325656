"""Admin form fields ↔ the API's program body (the same validation runs on both)."""

from __future__ import annotations

from typing import Any

from qudao.core.validation import form_value as one
from qudao.plugins.rebates.programs import BUYER_LISTS, PRODUCT_LISTS


def codes(text: str) -> list[str]:
    return [c.strip() for c in text.replace("，", ",").replace("\n", ",").split(",") if c.strip()]


def tiers_from_text(text: str) -> list[dict[str, str]] | str:
    """``500000:2, 1000000:3`` (one tier per comma or line: threshold, colon, percent)."""
    out: list[dict[str, str]] = []
    for part in codes(text.replace(";", ",")):
        start, sep, pct = part.replace("：", ":").partition(":")
        out.append({"from": start.strip(), "percent": pct.strip().rstrip("%")} if sep else {"from": part})
    return out


def program_body(form: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": one(form, "name"), "basis": one(form, "basis") or "amount", "period": one(form, "period"),
        "method": one(form, "method") or "tiered", "tier_mode": one(form, "tier_mode") or "retroactive",
        "valid_from": one(form, "valid_from"), "valid_until": one(form, "valid_until") or None,
        "max_deduct_percent": one(form, "max_deduct_percent") or None,
        "active": one(form, "active") in ("1", "on", "true"),
    }
    if body["method"] == "per_unit":
        body["per_unit"] = one(form, "per_unit")
    else:
        body["tiers"] = tiers_from_text(one(form, "tiers"))
    for key in (*PRODUCT_LISTS, *BUYER_LISTS):
        body[key] = codes(one(form, key))
    if one(form, "code"):
        body["code"] = one(form, "code")
    return body


def program_values(view: dict[str, Any]) -> dict[str, Any]:
    """A program view as form values (lists joined, tiers as text)."""
    values = dict(view)
    values["tiers"] = ", ".join(f"{t['from']}:{t['percent']}" for t in view.get("tiers") or [])
    for key in (*PRODUCT_LISTS, *BUYER_LISTS):
        values[key] = ", ".join(view.get(key) or [])
    values["active"] = view.get("active", True)
    return values
