"""Price-policy form semantics (admin pages) on top of ``upsert_policy``.

Lists are comma-separated text; times are local ``YYYY-MM-DDTHH:MM`` in the
tenant's time zone (what ``<input type=datetime-local>`` sends).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from qudao.core.pricing.policies import LIST_FIELDS

ITEM = re.compile(r"\[\d+\]$")


def split_list(text: str) -> list[str]:
    return [t.strip() for t in re.split(r"[,，\n]", text or "") if t.strip()]


def local_to_iso(raw: str, tz: str) -> str:
    """'2026-11-22T08:00' in the tenant's zone → ISO 8601 with offset; other text passes through."""
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return text
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.isoformat()


def iso_to_local(value: datetime | None, tz: str) -> str:
    return "" if value is None else value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")


def policy_body_from_form(form: dict[str, Any], tz: str) -> dict[str, Any]:
    body: dict[str, Any] = {"name": form.get("name", "")}
    priority = str(form.get("priority") or "").strip()
    body["priority"] = int(priority) if re.fullmatch(r"-?\d{1,9}", priority) else (priority or 0)
    for key in ("valid_from", "valid_until"):
        body[key] = local_to_iso(str(form.get(key) or ""), tz) or None
    for key in LIST_FIELDS:
        body[key] = split_list(str(form.get(key) or ""))
    mode = form.get("mode", "price")
    amount = str(form.get("amount") or "").strip()
    body["price" if mode != "percent" else "percent"] = amount or None
    body["active"] = str(form.get("active", "")).lower() in ("true", "on", "1", "yes")
    return body


def form_errors(errors: list[dict[str, str]], mode: str) -> list[dict[str, str]]:
    """Core names list items (``skus[2]``) and price/percent; the form has one field each."""
    out = []
    for e in errors:
        field = ITEM.sub("", e["field"])
        if field in ("price", "percent"):
            field = "amount"
        out.append({"field": field, "message": e["message"]})
    return out
