"""Rebate programs: validation, create/update, views, and who and what a program covers.

Body of ``POST /rebates/programs`` (``PUT /rebates/programs/{code}`` replaces one)::

    {code, name, basis: "amount"|"quantity", period: "month"|"quarter"|"year"|"custom",
     method: "tiered"|"per_unit", tier_mode?: "retroactive"|"progressive",
     tiers?: [{from, percent}], per_unit?: "1.00",
     skus?, brands?, categories?,                      # product scope (any); none = everything
     customers?, tiers_of_customers? (alias customer_tiers), customer_types?, regions?,  # buyers (all given)
     valid_from: "YYYY-MM-DD", valid_until?, max_deduct_percent?: "10", active?}

Every error names its field and nothing is stored when any is wrong.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.catalog.models import Brand, Category, Product
from qudao.core.customers.models import CUSTOMER_TYPES, Customer, Tier
from qudao.core.errors import Conflict, NotFound
from qudao.core.plugin_api import parse_money
from qudao.core.validation import Fields, check_code
from qudao.plugins.rebates import calc
from qudao.plugins.rebates.models import (
    AMOUNT,
    CUSTOM,
    PER_UNIT,
    PROGRESSIVE,
    QUANTITY,
    RETROACTIVE,
    TIERED,
    RebateProgram,
)
from qudao.plugins.rebates.periods import PERIODS

FIELDS = ("code", "name", "basis", "period", "method", "tier_mode", "tiers", "per_unit", "skus", "brands",
          "categories", "customers", "customer_tiers", "customer_types", "regions", "valid_from", "valid_until",
          "max_deduct_percent", "active")
PRODUCT_LISTS = ("skus", "brands", "categories")
BUYER_LISTS = ("customers", "customer_tiers", "customer_types", "regions")
MAX_LIST = 1000
MAX_TIERS = 20


def _choice(f: Fields, name: str, choices: tuple[str, ...], default: str | None) -> str | None:
    value = f.data.get(name, default)
    if value not in choices:
        f.error(name, f"must be one of {', '.join(choices)}")
        return None
    return value


def _date(f: Fields, name: str, required: bool = False) -> date | None:
    raw = f.data.get(name)
    if raw in (None, ""):
        if required:
            f.error(name, "is required (YYYY-MM-DD)")
        return None
    if not isinstance(raw, str):
        return _bad_date(f, name)
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return _bad_date(f, name)


def _bad_date(f: Fields, name: str) -> None:
    f.error(name, "must be a date as YYYY-MM-DD")
    return None


def decimal_text(value: Any) -> Decimal:
    """A decimal given as a string or an integer; floats and other types are refused."""
    if isinstance(value, bool) or isinstance(value, float) or not isinstance(value, str | int):
        raise ValueError("must be a decimal number as a string, such as \"2.5\" (not a float)")
    try:
        dec = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("must be a decimal number such as \"2.5\"") from None
    if not dec.is_finite():
        raise ValueError("must be a finite number")
    return dec


def percent(value: Any, *, allow_zero: bool = False) -> Decimal:
    dec = decimal_text(value)
    if dec < 0 or dec > 100 or (dec == 0 and not allow_zero):
        raise ValueError("must be more than 0 and at most 100" if not allow_zero else "must be from 0 to 100")
    if dec.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError("has more than 2 decimal places")
    return dec


def parse_tiers(f: Fields, basis: str | None, currency: str) -> list[dict[str, str]]:
    raw = f.data.get("tiers")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_TIERS:
        f.error("tiers", f"give 1 to {MAX_TIERS} tiers as [{{from, percent}}]")
        return []
    out: list[dict[str, str]] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) - {"from", "percent"}:
            f.error(f"tiers[{i}]", "must be an object {from, percent}")
            continue
        try:
            if basis == QUANTITY:
                start = item.get("from")
                if isinstance(start, bool) or not isinstance(start, int | str) or not str(start).strip().isdigit():
                    raise ValueError("must be a whole number of units")
                threshold = str(int(str(start)))
            else:
                threshold = str(parse_money(_no_float(item.get("from")), currency))
        except ValueError as exc:
            f.error(f"tiers[{i}].from", str(exc))
            continue
        try:
            pct = percent(item.get("percent"))
        except ValueError as exc:
            f.error(f"tiers[{i}].percent", str(exc))
            continue
        out.append({"from": threshold, "percent": f"{pct.normalize():f}"})
    if len(out) == len(raw):
        problem = calc.check_tiers(tier_objects(out))
        if problem:
            f.error("tiers", problem)
    return out


def _no_float(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError("must be a decimal amount as a string, such as \"500000.00\" (not a float)")
    if value is None:
        raise ValueError("is required")
    return value


def tier_objects(tiers: list[dict[str, str]]) -> list[calc.Tier]:
    return [calc.Tier(Decimal(t["from"]), Decimal(t["percent"])) for t in tiers]


async def _check_codes(session: AsyncSession, f: Fields, name: str, values: list[str], column: Any) -> None:
    if values:
        found = set((await session.scalars(select(column).where(column.in_(values)))).all())
        for i, v in enumerate(values):
            if v not in found:
                f.error(f"{name}[{i}]", f"unknown code '{v}'")


async def parse_program(session: AsyncSession, data: Any, currency: str, code: str | None = None) -> dict[str, Any]:
    """Validated column values of a program; raises InputError listing every bad field."""
    f = Fields(data)
    for key in data:
        if key not in FIELDS:
            f.error(key, "is not a field of a rebate program")
    if code is None:
        code = f.text("code", required=True, max_len=64)
        if code:
            try:
                check_code(code)
            except Exception:  # noqa: BLE001 - reported as a field error with the rest
                f.error("code", "must be 1-64 letters, digits, '.', '_' or '-'")
    elif data.get("code") not in (None, code):
        f.error("code", "must match the code in the path")
    name = f.text("name", required=True, max_len=200)
    basis = _choice(f, "basis", (AMOUNT, QUANTITY), AMOUNT)
    period = _choice(f, "period", PERIODS, None)
    method = _choice(f, "method", (TIERED, PER_UNIT), TIERED)
    mode = _choice(f, "tier_mode", (RETROACTIVE, PROGRESSIVE), RETROACTIVE)
    tiers: list[dict[str, str]] = []
    unit: str | None = None
    if method == TIERED:
        tiers = parse_tiers(f, basis, currency)
        if data.get("per_unit") not in (None, ""):
            f.error("per_unit", "is only for per_unit programs")
    elif method == PER_UNIT:
        if data.get("tiers"):
            f.error("tiers", "are only for tiered programs")
        try:
            amount = parse_money(_no_float(data.get("per_unit")), currency)
            if amount <= 0:
                raise ValueError("must be more than 0")
            unit = str(amount)
        except ValueError as exc:
            f.error("per_unit", str(exc))
        if basis != QUANTITY:
            f.error("basis", "a per_unit program counts units: use basis quantity")
    lists = {k: f.code_items(k, max_items=MAX_LIST, max_len=200 if k == "regions" else 64,
                             list_error=f"must be a list of at most {MAX_LIST} codes",
                             choices=CUSTOMER_TYPES if k == "customer_types" else None)
             for k in (*PRODUCT_LISTS, *BUYER_LISTS)}
    lists["regions"] = [r.strip("/") for r in lists["regions"]]
    valid_from = _date(f, "valid_from", required=True)
    valid_until = _date(f, "valid_until", required=period == CUSTOM)
    if valid_from and valid_until and valid_until < valid_from:
        f.error("valid_until", "must not be before valid_from")
    cap = "100"
    if data.get("max_deduct_percent") not in (None, ""):
        try:
            cap = f"{percent(data['max_deduct_percent'], allow_zero=True).normalize():f}"
        except ValueError as exc:
            f.error("max_deduct_percent", str(exc).replace("must be", "must be a percent", 1))
    active = f.boolean("active", default=True)
    await _check_codes(session, f, "skus", lists["skus"], Product.sku)
    await _check_codes(session, f, "brands", lists["brands"], Brand.code)
    await _check_codes(session, f, "categories", lists["categories"], Category.code)
    await _check_codes(session, f, "customers", lists["customers"], Customer.code)
    await _check_codes(session, f, "customer_tiers", lists["customer_tiers"], Tier.code)
    f.check()
    return {"code": code, "name": name, "basis": basis, "period": period, "method": method,
            "tier_mode": mode, "tiers": tiers, "per_unit": unit, **lists, "valid_from": valid_from,
            "valid_until": valid_until, "max_deduct_percent": cap, "active": bool(active)}


def plain_code(code: str) -> bool:
    """A code that can name a row (anything else is no row, and never reaches the database)."""
    return isinstance(code, str) and 0 < len(code) <= 64 and "\x00" not in code


async def by_code(session: AsyncSession, code: str) -> RebateProgram:
    if not plain_code(code):
        raise NotFound("no such rebate program")
    program = await session.scalar(select(RebateProgram).where(RebateProgram.code == code))
    if program is None:
        raise NotFound(f"no rebate program '{code}'")
    return program


async def create(session: AsyncSession, data: Any, currency: str) -> RebateProgram:
    values = await parse_program(session, data, currency)
    if await session.scalar(select(RebateProgram.id).where(RebateProgram.code == values["code"])) is not None:
        raise Conflict(f"a rebate program '{values['code']}' exists; change it with PUT /rebates/programs/{values['code']}")
    program = RebateProgram(**values)
    session.add(program)
    await session.flush()
    return program


async def replace(session: AsyncSession, code: str, data: Any, currency: str) -> tuple[RebateProgram, bool]:
    """PUT: create or replace the program (the period kind and basis of a program with closed
    periods or accruals stay, so settled history keeps its meaning)."""
    values = await parse_program(session, data, currency, code=code)
    program = await session.scalar(select(RebateProgram).where(RebateProgram.code == code))
    created = program is None
    if program is None:
        program = RebateProgram(**values)
        session.add(program)
    else:
        from qudao.plugins.rebates.models import RebateAccrual

        used = await session.scalar(select(RebateAccrual.id).where(RebateAccrual.program_id == program.id).limit(1))
        if used is not None and (values["period"] != program.period or values["basis"] != program.basis):
            from qudao.core.errors import InputError

            raise InputError("the program has accruals: its period and basis cannot change "
                             "(end it with valid_until and start a new one)", field="period")
        for key, value in values.items():
            setattr(program, key, value)
    await session.flush()
    return program, created


async def all_programs(session: AsyncSession) -> list[RebateProgram]:
    return list((await session.scalars(select(RebateProgram).order_by(RebateProgram.code))).all())


def view(p: RebateProgram) -> dict[str, Any]:
    return {
        "code": p.code, "name": p.name, "basis": p.basis, "period": p.period, "method": p.method,
        "tier_mode": p.tier_mode if p.method == TIERED else None,
        "tiers": list(p.tiers or []) if p.method == TIERED else [], "per_unit": p.per_unit,
        **{k: list(getattr(p, k) or []) for k in (*PRODUCT_LISTS, *BUYER_LISTS)},
        "valid_from": p.valid_from.isoformat(), "valid_until": p.valid_until.isoformat() if p.valid_until else None,
        "max_deduct_percent": p.max_deduct_percent, "active": bool(p.active),
    }


async def view_of(session: AsyncSession, code: str) -> dict[str, Any] | None:
    program = await session.scalar(select(RebateProgram).where(RebateProgram.code == code))
    return view(program) if program is not None else None


def audit_change(ctx: Any, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    """Programs decide money: every change is in the audit log (who, when, before/after)."""
    from qudao.core.plugin_api import audit

    user = getattr(ctx, "user", None)
    audit(ctx.session, "rebates.program", after["code"], before, after, user_id=getattr(user, "id", None),
          user_email=getattr(user, "email", "") or "")


def region_matches(prefix: str, region: str | None) -> bool:
    """Region paths are '/'-separated (省/市/区); a prefix matches whole segments only."""
    if not region:
        return False
    p, r = prefix.strip().strip("/"), region.strip().strip("/")
    return r == p or r.startswith(p + "/")


def valid_on(p: RebateProgram, day: date) -> bool:
    return bool(p.active) and p.valid_from <= day and (p.valid_until is None or day <= p.valid_until)


def buyer_matches(p: RebateProgram, customer: Customer, tier_code: str | None) -> bool:
    """Every buyer list the program gives must match (an empty list matches everyone)."""
    return ((not p.customers or customer.code in p.customers)
            and (not p.customer_tiers or (tier_code is not None and tier_code in p.customer_tiers))
            and (not p.customer_types or customer.type in p.customer_types)
            and (not p.regions or any(region_matches(r, customer.region) for r in p.regions)))


class ProductScope:
    """Which products a program covers (any of its SKUs, brands or categories, sub-categories
    included), resolved once per accrual run from the codes to ids."""

    def __init__(self, program: RebateProgram, brand_ids: dict[str, int], categories: list[tuple[int, str, int | None]]):
        self.everything = not (program.skus or program.brands or program.categories)
        self.skus = set(program.skus or [])
        self.brand_ids = {brand_ids[c] for c in program.brands or [] if c in brand_ids}
        children: dict[int | None, list[int]] = {}
        for cid, _code, parent in categories:
            children.setdefault(parent, []).append(cid)
        todo = [cid for cid, code, _p in categories if code in set(program.categories or [])]
        self.category_ids: set[int] = set()
        while todo:
            cid = todo.pop()
            if cid not in self.category_ids:
                self.category_ids.add(cid)
                todo.extend(children.get(cid, []))

    def covers(self, product: Product) -> bool:
        return (self.everything or product.sku in self.skus or product.brand_id in self.brand_ids
                or product.category_id in self.category_ids)
