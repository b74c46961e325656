"""Reading a promotion's fields from API or form input: the field lists, one parser per field type
(each adds to a shared error list instead of raising), and times in the tenant's zone."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from qudao.core.plugin_api import TenantContext
from qudao.core.validation import FieldErrors, as_bool
from qudao.plugins.promotions import rules as R

CODE_RE = re.compile(r"^[\w.\-]{1,64}$")
T = TypeVar("T")


FIELDS = (
    "kind", "name", "threshold", "amount", "percent", "sku", "price", "gift_sku", "gift_qty", "buy_qty",
    "repeat", "items", "coupon", "uses_limit", "uses_per_customer", "limit_per_order",
    "limit_per_customer", "group", "priority", "tiers", "customers", "customer_types", "regions",
    "groups", "starts_at", "ends_at", "active", "lock_qty",
)


READ_ONLY = ("code", "label", "used", "orders", "discount_given", "status", "created_at", "updated_at")


# which fields each kind uses (anything else is validated, then ignored)
KIND_FIELDS: dict[str, set[str]] = {
    R.KIND_THRESHOLD_AMOUNT: {"threshold", "amount", "repeat"},
    R.KIND_THRESHOLD_PERCENT: {"threshold", "percent"},
    R.KIND_THRESHOLD_GIFT: {"threshold", "gift_sku", "gift_qty", "repeat"},
    R.KIND_SPECIAL_PRICE: {"sku", "price", "limit_per_order", "limit_per_customer"},
    R.KIND_COUPON: {"threshold", "amount", "percent", "repeat"},
    R.KIND_BUY_X_GET_Y: {"sku", "buy_qty", "gift_sku", "gift_qty", "repeat", "limit_per_order",
                         "limit_per_customer"},
    R.KIND_BUNDLE: {"items", "price"},
}


MAX_LIST = 500


def tenant_tz(ctx: TenantContext) -> ZoneInfo:
    try:
        return ZoneInfo(ctx.tenant.timezone or "Asia/Shanghai")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def parse_when(value: Any, tz: ZoneInfo, *, end: bool) -> datetime:
    """ISO datetime (naive = tenant time) or a date (a whole day in tenant time; an end is exclusive)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be an ISO 8601 date or date-time")
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ValueError("is not a valid date") from None
        if end:
            day += timedelta(days=1)
        return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError("must be an ISO 8601 date or date-time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.astimezone(UTC)


def show_when(value: datetime | None, tz: ZoneInfo) -> str | None:
    return value.astimezone(tz).isoformat() if value is not None else None


def optional(parse: Callable[..., T]) -> Callable[..., T | None]:
    """A reader of an optional field: ``read(errors, data, name, *args)`` is None for a field the
    body left out (or sent as null), else ``parse(errors, value, name, ...)``."""
    @functools.wraps(parse)
    def read(errors: FieldErrors, data: dict[str, Any], name: str, *args: Any, **kwargs: Any) -> T | None:
        value = data.get(name)
        return None if value is None else parse(errors, value, name, *args, **kwargs)
    return read


@optional
def money_field(errors: FieldErrors, value: Any, name: str, currency: str) -> Decimal | None:
    return errors.money_value(name, value, currency)


@optional
def percent_field(errors: FieldErrors, value: Any, name: str) -> Decimal | None:
    if isinstance(value, bool):
        return errors.refuse(name, "must be a number between 0 and 100")
    try:
        pct = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return errors.refuse(name, "must be a number between 0 and 100")
    if not pct.is_finite() or pct < 0 or pct > 100:
        return errors.refuse(name, "must be between 0 and 100")
    if pct.as_tuple().exponent < -4:  # type: ignore[operator]
        return errors.refuse(name, "has more than 4 decimal places")
    return pct


@optional
def int_field(errors: FieldErrors, value: Any, name: str, minimum: int = 0) -> int | None:
    if isinstance(value, bool):
        return errors.refuse(name, "must be a whole number")
    try:
        number = int(str(value).strip())
    except ValueError:
        return errors.refuse(name, "must be a whole number")
    if number < minimum:
        return errors.refuse(name, f"must be at least {minimum}")
    if number > 1_000_000_000:
        return errors.refuse(name, "is too large")
    return number


def bool_field(errors: FieldErrors, data: dict[str, Any], name: str, default: bool) -> bool:
    value = data.get(name)
    if value is None:
        return default
    if (flag := as_bool(value)) is None:
        return errors.refuse(name, "must be true or false", default)
    return flag


@optional
def text_field(errors: FieldErrors, value: Any, name: str, max_len: int = 64) -> str | None:
    if not isinstance(value, str):
        return errors.refuse(name, "must be text")
    value = value.strip()
    if len(value) > max_len:
        return errors.refuse(name, f"must be at most {max_len} characters")
    return value or None


def str_list_field(errors: FieldErrors, data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return errors.refuse(name, "must be a list of codes", [])
    if len(value) > MAX_LIST:
        return errors.refuse(name, f"must have at most {MAX_LIST} entries", [])
    if any(len(v) > 200 for v in value):
        return errors.refuse(name, "has an entry longer than 200 characters", [])
    return list(dict.fromkeys(v.strip() for v in value))
