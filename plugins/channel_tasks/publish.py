"""Publishing a task: the fields checked, the audience resolved to customers, one assignment each.

The audience filters (regions, types, tiers, tags) narrow together (a store in 华东 of tier A);
``customers`` adds named customers on top; ``everyone`` takes every active customer.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from qudao.core.catalog.models import Product
from qudao.core.customers.models import CUSTOMER_TYPES, Customer, Tier
from qudao.core.errors import InputError
from qudao.core.plugin_api import TenantContext, utcnow
from qudao.core.validation import as_bool
from qudao.plugins.channel_tasks.models import Assignment, Task
from qudao.plugins.channel_tasks.photos import MAX_PHOTOS

AUDIENCE_KEYS = ("regions", "types", "tiers", "tags", "customers")
MAX_NUMBERS = 20
MAX_LIST = 500


def local_today(ctx: TenantContext) -> date:
    return utcnow().astimezone(ZoneInfo(ctx.tenant.timezone or "Asia/Shanghai")).date()


def _text(data: dict[str, Any], name: str, limit: int, errors: list[dict[str, str]], required: bool = False) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            errors.append({"field": name, "message": "is required"})
        return ""
    if not isinstance(value, str):
        errors.append({"field": name, "message": "must be text"})
        return ""
    value = value.strip()
    if required and not value:
        errors.append({"field": name, "message": "is required"})
    if len(value) > limit:
        errors.append({"field": name, "message": f"must be at most {limit} characters"})
    return value


def _list(value: Any, name: str, errors: list[dict[str, str]]) -> list[str]:
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        value = [v for v in value.replace("，", ",").replace("\n", ",").split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in value):
        errors.append({"field": f"audience.{name}", "message": "must be a list of codes"})
        return []
    items = sorted({str(v).strip() for v in value if str(v).strip()})
    if len(items) > MAX_LIST:
        errors.append({"field": f"audience.{name}", "message": f"at most {MAX_LIST} entries"})
    return items


def _flag(value: Any, name: str, errors: list[dict[str, str]]) -> bool:
    if value in (None, ""):
        return False
    if (flag := as_bool(value)) is None:
        errors.append({"field": name, "message": "must be true or false"})
        return False
    return flag


async def parse_task(ctx: TenantContext, data: dict[str, Any]) -> tuple[dict[str, Any], list[int]]:
    """Checked task fields and the customer ids it goes to; InputError names every bad field."""
    errors: list[dict[str, str]] = []
    title = _text(data, "title", 200, errors, required=True)
    body = _text(data, "body", 5000, errors)
    due = None
    raw_due = data.get("due_date")
    try:
        due = date.fromisoformat(str(raw_due).strip()) if raw_due else None
    except ValueError:
        errors.append({"field": "due_date", "message": "must be a date such as 2026-12-31"})
    else:
        if due is None:
            errors.append({"field": "due_date", "message": "is required"})
        elif due < local_today(ctx):
            errors.append({"field": "due_date", "message": "is in the past"})
    ask_text = _flag(data.get("ask_text", True), "ask_text", errors)
    min_photos = data.get("min_photos") or 0
    try:
        min_photos = int(str(min_photos))
        if isinstance(data.get("min_photos"), bool) or not 0 <= min_photos <= MAX_PHOTOS:
            raise ValueError
    except ValueError:
        errors.append({"field": "min_photos", "message": f"must be a whole number from 0 to {MAX_PHOTOS}"})
        min_photos = 0
    numbers = await _numbers(ctx, data.get("numbers"), errors)
    if not (ask_text or min_photos or numbers):
        errors.append({"field": "ask_text", "message": "ask for at least a text, a number or a photo"})
    audience, customer_ids = await _audience(ctx, data, errors)
    if errors:
        raise InputError(errors)
    return ({"title": title, "body": body, "due_date": due, "ask_text": ask_text, "min_photos": min_photos,
             "numbers": numbers, "audience": audience}, customer_ids)


async def _numbers(ctx: TenantContext, raw: Any, errors: list[dict[str, str]]) -> list[dict[str, Any]]:
    if raw in (None, "", []):
        return []
    if not isinstance(raw, list) or len(raw) > MAX_NUMBERS:
        errors.append({"field": "numbers", "message": f"must be a list of at most {MAX_NUMBERS} {{label, sku?}}"})
        return []
    out = []
    for i, item in enumerate(raw):
        item = {"label": item} if isinstance(item, str) else item
        if not isinstance(item, dict):
            errors.append({"field": f"numbers[{i}]", "message": "must be {label, sku?}"})
            continue
        label = _text(item, "label", 100, [])
        sku = _text(item, "sku", 64, [])
        entry: dict[str, Any] = {"label": label or (f"stock of {sku}" if sku else "")}
        if sku:
            product_id = await ctx.session.scalar(select(Product.id).where(Product.sku == sku))
            if product_id is None:
                errors.append({"field": f"numbers[{i}].sku", "message": f"no product with SKU '{sku}'"})
            entry.update(sku=sku, product_id=product_id)
        if not entry["label"]:
            errors.append({"field": f"numbers[{i}].label", "message": "is required"})
        out.append(entry)
    return out


async def _audience(ctx: TenantContext, data: dict[str, Any],
                    errors: list[dict[str, str]]) -> tuple[dict[str, Any], list[int]]:
    raw = data.get("audience") if isinstance(data.get("audience"), dict) else data
    lists = {k: _list(raw.get(k), k, errors) for k in AUDIENCE_KEYS}
    everyone = _flag(raw.get("everyone"), "audience.everyone", errors)
    customers = list((await ctx.session.scalars(select(Customer).where(Customer.status == "active"))).all())
    tiers = dict((await ctx.session.execute(select(Tier.code, Tier.id))).all())
    for t in lists["types"]:
        if t not in CUSTOMER_TYPES:
            errors.append({"field": "audience.types", "message": f"'{t}' is not one of {', '.join(CUSTOMER_TYPES)}"})
    for t in lists["tiers"]:
        if t not in tiers:
            errors.append({"field": "audience.tiers", "message": f"no tier with code '{t}'"})
    for r in lists["regions"]:
        if not any(_in_region(r, c.region) for c in customers):
            errors.append({"field": "audience.regions", "message": f"no customer is in the region '{r}'"})
    for tag in lists["tags"]:
        if not any(tag in (c.groups or []) for c in customers):
            errors.append({"field": "audience.tags", "message": f"no customer has the tag '{tag}'"})
    by_code = {c.code: c for c in customers}
    for code in lists["customers"]:
        if code not in by_code:
            errors.append({"field": "audience.customers", "message": f"no active customer with code '{code}'"})
    filters = any(lists[k] for k in ("regions", "types", "tiers", "tags"))
    if not (everyone or filters or lists["customers"]):
        errors.append({"field": "audience", "message": "choose who gets the task (regions, types, tiers, tags, "
                                                       "customers, or everyone)"})
    if errors:
        return {}, []
    tier_ids = {tiers[t] for t in lists["tiers"]}
    chosen = set()
    for c in customers:
        if everyone or (filters and (not lists["regions"] or any(_in_region(r, c.region) for r in lists["regions"]))
                        and (not lists["types"] or c.type in lists["types"])
                        and (not lists["tiers"] or c.tier_id in tier_ids)
                        and (not lists["tags"] or any(t in (c.groups or []) for t in lists["tags"]))):
            chosen.add(c.id)
    chosen |= {by_code[code].id for code in lists["customers"]}
    if not chosen:
        errors.append({"field": "audience", "message": "no customer matches all of these filters"})
    return {**{k: v for k, v in lists.items() if v}, **({"everyone": True} if everyone else {})}, sorted(chosen)


def _in_region(prefix: str, region: str | None) -> bool:
    if not region:
        return False
    p, r = prefix.strip().strip("/"), region.strip().strip("/")
    return r == p or r.startswith(p + "/")


async def publish(ctx: TenantContext, fields: dict[str, Any], customer_ids: list[int]) -> Task:
    """The task and one assignment per customer."""
    task = Task(**fields, created_by=ctx.user.id if ctx.user else None)
    ctx.session.add(task)
    await ctx.session.flush()
    ctx.session.add_all([Assignment(task_id=task.id, customer_id=cid) for cid in customer_ids])
    await ctx.session.flush()
    return task
