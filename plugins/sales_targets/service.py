"""Targets: listing (a sales rep sees only their own and their customers'), create, change,
delete, copy to the next period, and the views the pages and the API share."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select

from qudao.core.auth.models import User
from qudao.core.catalog.models import Brand, Category
from qudao.core.customers.models import Customer
from qudao.core.errors import Conflict, InputError, NotFound
from qudao.core.plugin_api import TenantContext, fmt
from qudao.plugins.sales_targets import attainment
from qudao.plugins.sales_targets.models import SalesTarget
from qudao.plugins.sales_targets.periods import Period, local_today
from qudao.plugins.sales_targets.rules import TargetInput, grow

MAX_TARGETS = 5000


def is_rep(ctx: TenantContext) -> bool:
    return ctx.user is not None and ctx.user.kind == "staff" and ctx.user.role == "sales_rep"


def scope_criteria(ctx: TenantContext) -> list[Any]:
    """A sales rep sees their own targets and those of their customers; a buyer only its own."""
    if ctx.user is not None and ctx.user.kind != "staff":
        customer_id = ctx.customer.id if ctx.customer is not None else -1
        return [SalesTarget.dimension == "customer", SalesTarget.customer_id == customer_id]
    if is_rep(ctx):
        assert ctx.user is not None
        mine = select(Customer.id).where(Customer.sales_rep_id == ctx.user.id)
        return [or_(SalesTarget.rep_id == ctx.user.id,
                    (SalesTarget.dimension == "customer") & SalesTarget.customer_id.in_(mine))]
    return []


async def targets_for(ctx: TenantContext, periods: list[Period] | None = None,
                      dimensions: tuple[str, ...] | None = None) -> list[SalesTarget]:
    stmt = select(SalesTarget).where(*scope_criteria(ctx))
    if periods is not None:
        stmt = stmt.where(or_(*[(SalesTarget.period_kind == p.kind) & (SalesTarget.period_start == p.start)
                                for p in periods]))
    if dimensions:
        stmt = stmt.where(SalesTarget.dimension.in_(dimensions))
    stmt = stmt.order_by(SalesTarget.period_start, SalesTarget.dimension, SalesTarget.dim_key,
                         SalesTarget.scope_kind, SalesTarget.scope_key, SalesTarget.measure).limit(MAX_TARGETS)
    return list((await ctx.session.scalars(stmt)).all())


async def get_target(ctx: TenantContext, target_id: int) -> SalesTarget:
    if not 0 < target_id < 2**63:  # ids are 63-bit: anything else is no row (and no database error)
        raise NotFound("no such target")
    found = await ctx.session.scalar(select(SalesTarget).where(SalesTarget.id == target_id,
                                                               *scope_criteria(ctx)))
    if found is None:
        raise NotFound("no such target")
    return found


async def find_same(ctx: TenantContext, data: TargetInput) -> SalesTarget | None:
    kind, start, dimension, dim_key, scope_kind, scope_key, measure = data.natural_key
    return await ctx.session.scalar(select(SalesTarget).where(
        SalesTarget.period_kind == kind, SalesTarget.period_start == start, SalesTarget.dimension == dimension,
        SalesTarget.dim_key == dim_key, SalesTarget.scope_kind == scope_kind, SalesTarget.scope_key == scope_key,
        SalesTarget.measure == measure))


def _apply(target: SalesTarget, data: TargetInput) -> None:
    target.period_kind, target.period_start = data.period.kind, data.period.start
    target.dimension, target.dim_key = data.dimension, data.dim_key
    target.customer_id, target.rep_id = data.customer_id, data.rep_id
    target.scope_kind, target.scope_key, target.scope_ids = data.scope_kind, data.scope_key, data.scope_ids
    target.measure, target.rule, target.target, target.note = data.measure, data.rule, data.target, data.note


async def create(ctx: TenantContext, data: TargetInput) -> SalesTarget:
    """A new target; the same thing in the same period already having one is a Conflict."""
    if await find_same(ctx, data) is not None:
        raise Conflict(f"a target for this {data.dimension.replace('_', ' ')} and product group already exists "
                       f"for {data.period.label}: change that one instead")
    target = SalesTarget()
    _apply(target, data)
    ctx.session.add(target)
    await ctx.session.flush()
    return target


async def update(ctx: TenantContext, target: SalesTarget, data: TargetInput) -> SalesTarget:
    same = await find_same(ctx, data)
    if same is not None and same.id != target.id:
        raise Conflict(f"another target covers the same thing in {data.period.label}")
    _apply(target, data)
    await ctx.session.flush()
    return target


async def upsert_many(ctx: TenantContext, rows: list[TargetInput]) -> tuple[int, int]:
    """Import: an existing target for the same thing gets the new value; returns (created, updated)."""
    created = updated = 0
    for data in rows:
        same = await find_same(ctx, data)
        if same is None:
            same = SalesTarget()
            ctx.session.add(same)
            created += 1
        else:
            updated += 1
        _apply(same, data)
    await ctx.session.flush()
    return created, updated


def parse_growth(value: Any) -> Decimal:
    try:
        growth = Decimal(str(value if value not in (None, "") else "0").strip())
    except ArithmeticError:
        raise InputError("must be a number such as 10 or -5.5", field="growth_percent") from None
    if isinstance(value, bool) or not growth.is_finite() or not Decimal(-100) < growth <= Decimal(1000):
        raise InputError("must be a percentage above -100 and at most 1000", field="growth_percent")
    return growth


async def copy_to_next(ctx: TenantContext, period: Period, growth: Decimal) -> dict[str, Any]:
    """Copy a period's targets to the next period of the same kind, grown by ``growth`` percent.

    Targets that already exist in the next period are kept as they are (reported as skipped)."""
    source = await targets_for(ctx, [period])
    nxt = period.next()
    existing = {(t.dimension, t.dim_key, t.scope_kind, t.scope_key, t.measure)
                for t in await targets_for(ctx, [nxt])}
    created = skipped = 0
    currency = ctx.tenant.currency or "CNY"
    for t in source:
        if (t.dimension, t.dim_key, t.scope_kind, t.scope_key, t.measure) in existing:
            skipped += 1
            continue
        ctx.session.add(SalesTarget(
            period_kind=nxt.kind, period_start=nxt.start, dimension=t.dimension, dim_key=t.dim_key,
            customer_id=t.customer_id, rep_id=t.rep_id, scope_kind=t.scope_kind, scope_key=t.scope_key,
            scope_ids=list(t.scope_ids or []), measure=t.measure, rule=t.rule, note=t.note,
            target=grow(t.target, t.measure, growth, currency)))
        created += 1
    await ctx.session.flush()
    return {"period": nxt.label, "created": created, "skipped": skipped}


async def names(ctx: TenantContext, targets: list[SalesTarget]) -> dict[tuple[str, Any], str]:
    """Display names for the ids in targets (customer codes and names, rep emails, scope names)."""
    out: dict[tuple[str, Any], str] = {}
    cids = {t.customer_id for t in targets if t.customer_id}
    rids = {t.rep_id for t in targets if t.rep_id}
    if cids:
        for cid, code, name in (await ctx.session.execute(
                select(Customer.id, Customer.code, Customer.name).where(Customer.id.in_(cids)))).all():
            out[("customer", cid)] = code
            out[("customer_name", cid)] = name
    if rids:
        for uid, email, name in (await ctx.session.execute(
                select(User.id, User.email, User.name).where(User.id.in_(rids)))).all():
            out[("sales_rep", uid)] = email
            out[("sales_rep_name", uid)] = name or email
    brands = {t.scope_key for t in targets if t.scope_kind == "brand"}
    if brands:
        for code, name in (await ctx.session.execute(select(Brand.code, Brand.name)
                                                     .where(Brand.code.in_(brands)))).all():
            out[("brand", code)] = name
    cats = {t.scope_key for t in targets if t.scope_kind == "category"}
    if cats:
        for code, name in (await ctx.session.execute(select(Category.code, Category.name)
                                                     .where(Category.code.in_(cats)))).all():
            out[("category", code)] = name
    return out


def key_of(t: SalesTarget, labels: dict[tuple[str, Any], str]) -> str:
    if t.dimension == "customer":
        return labels.get(("customer", t.customer_id), "?")
    if t.dimension == "sales_rep":
        return labels.get(("sales_rep", t.rep_id), "?")
    return t.dim_key


def view(ctx: TenantContext, t: SalesTarget, actual: Decimal, labels: dict[tuple[str, Any], str]) -> dict[str, Any]:
    period = attainment.period_of(t)
    currency = ctx.tenant.currency or "CNY"
    show = (lambda v: str(int(v))) if t.measure == "qty" else (lambda v: fmt(v, currency))
    pct = attainment.percent(actual, t.target)
    elapsed = period.share_elapsed(local_today(ctx.tenant.timezone))
    name = labels.get((f"{t.dimension}_name", t.customer_id or t.rep_id), "")
    scope_name = labels.get((t.scope_kind, t.scope_key), "")
    return {
        "id": t.id, "period": period.label, "period_kind": t.period_kind, "dimension": t.dimension,
        "key": key_of(t, labels), "name": name, "scope": t.scope_kind,
        "scope_value": t.scope_key.split(",") if t.scope_kind == "skus" else t.scope_key,
        "scope_name": scope_name, "measure": t.measure, "rule": t.rule, "target": show(t.target),
        "actual": show(actual), "percent": str(pct), "note": t.note,
        "bar": float(min(pct, Decimal(100))), "expected_percent": round(elapsed * 100, 1),
        "on_track": float(pct) >= elapsed * 100,
    }


async def views(ctx: TenantContext, targets: list[SalesTarget]) -> list[dict[str, Any]]:
    values = await attainment.actuals(ctx, targets)
    labels = await names(ctx, targets)
    return [view(ctx, t, values.get(t.id, Decimal(0)), labels) for t in targets]


async def ranking(ctx: TenantContext, period: Period, dimension: str | None = None) -> list[dict[str, Any]]:
    """Region, rep and customer targets of a period, best attainment first."""
    dims = (dimension,) if dimension else ("region", "sales_rep", "customer")
    rows = await views(ctx, await targets_for(ctx, [period], dims))
    order = {d: i for i, d in enumerate(("region", "sales_rep", "customer"))}
    rows.sort(key=lambda r: (order.get(r["dimension"], 9), -Decimal(r["percent"]), r["key"]))
    counters: dict[str, int] = {}
    for row in rows:  # ranked within each dimension
        counters[row["dimension"]] = row["rank"] = counters.get(row["dimension"], 0) + 1
    return rows
