"""Small validators for JSON bodies and forms; each collects ``{field, message}`` errors."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

from qudao.core.errors import InputError
from qudao.core.money import parse_money

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")
T = TypeVar("T")


def set_given(row: Any, **values: Any) -> None:
    """Set the attributes whose value the body gave (not None): an update leaves the rest alone."""
    for attr, value in values.items():
        if value is not None:
            setattr(row, attr, value)


class FieldErrors:
    """The errors found while reading one body, each naming its field, raised all at once by
    ``check`` (one 422 listing every wrong field; nothing is stored)."""

    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def error(self, name: str, message: str) -> None:
        self.errors.append({"field": name, "message": message})

    def refuse(self, name: str, message: str, value: T = None) -> T:  # type: ignore[assignment]
        """Record the field's error and answer ``value`` (None unless given): what a reader returns
        for a field it refused, in one line."""
        self.error(name, message)
        return value

    def money_value(self, name: str, value: Any, currency: str) -> Decimal | None:
        """``value`` as money in ``currency``, or None with the field's error saying why not."""
        try:
            return parse_money(value, currency)
        except ValueError as exc:
            return self.refuse(name, str(exc))

    def check(self) -> None:
        if self.errors:
            raise InputError(self.errors)


class Fields(FieldErrors):
    """Reads a body's fields, collecting errors (``FieldErrors``) to raise them all at once."""

    def __init__(self, data: Any) -> None:
        if not isinstance(data, dict):
            raise InputError("must be a JSON object", field="body")
        super().__init__()
        self.data = data

    def has(self, name: str) -> bool:
        return name in self.data

    def text(self, name: str, *, required: bool = False, max_len: int = 200, default: str | None = None) -> str | None:
        value = self.data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return self.refuse(name, "is required", default) if required else default
        if not isinstance(value, str):
            return self.refuse(name, "must be text", default)
        value = value.strip()
        if "\x00" in value:
            return self.refuse(name, "contains invalid characters", default)
        if len(value) > max_len:
            return self.refuse(name, f"must be at most {max_len} characters", default)
        return value

    def money(self, name: str, currency: str, *, required: bool = False) -> Decimal | None:
        value = self.data.get(name)
        if value is None or value == "":
            return self.refuse(name, "is required") if required else None
        return self.money_value(name, value, currency)

    def code_items(self, name: str, *, max_items: int, max_len: int = 64, list_error: str | None = None,
                   choices: Sequence[str] | None = None) -> list[str]:
        """A list of codes (skus, tiers, regions...), stripped and each once; missing is ``[]``. A
        value that is not a list, or has more than ``max_items``, is one error for the field
        (``list_error`` where the API words both so); a bad entry is an error naming its place
        (``skus[2]``); an entry with a NUL character is a bad one (PostgreSQL text cannot hold it),
        and so is one outside ``choices`` when given."""
        raw = self.data.get(name)
        if raw is None:
            return []
        if not isinstance(raw, list):
            return self.refuse(name, list_error or "must be a list of codes", [])
        if len(raw) > max_items:
            return self.refuse(name, list_error or f"must have at most {max_items} entries", [])
        out: list[str] = []
        for i, item in enumerate(raw):
            if (not isinstance(item, str) or not item.strip() or len(item.strip()) > max_len
                    or "\x00" in item):
                self.error(f"{name}[{i}]", f"must be a non-empty text of at most {max_len} characters")
            elif choices is not None and item.strip() not in choices:
                self.error(f"{name}[{i}]", f"must be one of {', '.join(choices)}")
            elif item.strip() not in out:
                out.append(item.strip())
        return out

    def integer(self, name: str, *, required: bool = False, minimum: int | None = 0,
                maximum: int = 1_000_000_000) -> int | None:
        value = self.data.get(name)
        if value is None:
            return self.refuse(name, "is required") if required else None
        if isinstance(value, bool) or not isinstance(value, int):
            if not (isinstance(value, str) and value.strip().lstrip("-").isdigit()):
                return self.refuse(name, "must be a whole number")
            value = int(value)
        if minimum is not None and value < minimum:
            return self.refuse(name, f"must be at least {minimum}")
        if value > maximum:
            return self.refuse(name, f"must be at most {maximum}")
        return value

    def boolean(self, name: str, default: bool | None = None) -> bool | None:
        value = self.data.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            return self.refuse(name, "must be true or false", default)
        return value


def required_amount(data: dict[str, Any], currency: str, *, signed: bool = False, field: str = "amount") -> Decimal:
    """A body's required, non-zero money amount (``signed``: negative too, e.g. an adjustment);
    anything else is an InputError naming ``field``."""
    if data.get(field) in (None, ""):
        raise InputError("is required", field=field)
    try:
        amount = parse_money(data[field], currency, allow_negative=signed)
    except ValueError as exc:
        raise InputError(str(exc), field=field) from None
    if amount == 0:
        raise InputError("must not be zero" if signed else "must be more than 0", field=field)
    return amount


TRUE_WORDS = ("1", "true", "on", "yes")
FALSE_WORDS = ("0", "false", "off", "no")


def as_bool(value: Any) -> bool | None:
    """``value`` read as a yes/no (a bool, or one of ``TRUE_WORDS``/``FALSE_WORDS`` in any case, as
    forms and query strings send them); None when it is neither, for the caller's own error."""
    if isinstance(value, bool):
        return value
    word = str(value).lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None


def form_value(form: dict[str, Any], key: str) -> str:
    """One stripped value of a submitted form (the last one when the field was sent twice; ``""``
    when it is missing): what every admin form handler reads a text field with."""
    value = form.get(key, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value).strip()


def check_code(value: str, field: str = "code") -> str:
    if not CODE_RE.match(value or ""):
        raise InputError([{"field": field, "message": "must be 1-64 letters, digits, '.', '_' or '-'"}])
    return value


async def upsert_named(session: Any, model: Any, code: str, data: dict[str, Any]) -> tuple[Any, bool]:
    """Upsert a ``{code, name}`` master-data row (brand, tier, warehouse) by its code."""
    from sqlalchemy import select

    check_code(code)
    f = Fields(data)
    name = f.text("name", required=True)
    f.check()
    row = await session.scalar(select(model).where(model.code == code))
    created = row is None
    if row is None:
        row = model(code=code, name=name)
        session.add(row)
    else:
        row.name = name
    await session.flush()
    return row, created
