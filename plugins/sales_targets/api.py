"""API: targets with their attainment, the ranking report, copying a period forward, and a
buyer's own targets (``/sales-targets/mine``)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, patch, post

from qudao.core.errors import InputError
from qudao.plugins.sales_targets import rules, service
from qudao.plugins.sales_targets.attainment import period_of
from qudao.plugins.sales_targets.models import SalesTarget
from qudao.plugins.sales_targets.periods import current, local_today, parse_period
from qudao.web.api.common import json_body
from qudao.web.context import RequestContext, require_admin, require_buyer, require_staff

TAGS = ["sales_targets"]
EDITABLE = ("period", "dimension", "key", "scope", "scope_value", "measure", "rule", "target", "note")


def _period(ctx: RequestContext, period: str | None) -> Any:
    return parse_period(period) if period else current("month", local_today(ctx.tenant.timezone))


async def _one(ctx: RequestContext, target: SalesTarget) -> dict[str, Any]:
    return (await service.views(ctx, [target]))[0]


def _body_of(ctx: RequestContext, target: SalesTarget, labels: dict[Any, str]) -> dict[str, Any]:
    """A stored target as an input body (for a partial change)."""
    return {"period": period_of(target).label, "dimension": target.dimension,
            "key": service.key_of(target, labels), "scope": target.scope_kind,
            "scope_value": target.scope_key, "measure": target.measure, "rule": target.rule,
            "target": str(target.target), "note": target.note}


@get("/sales-targets", tags=TAGS)
async def list_targets(ctx: RequestContext, period: str | None = None) -> dict[str, Any]:
    """Targets of a period (default: this month) with actuals; a sales rep gets only theirs."""
    require_staff(ctx)
    p = _period(ctx, period)
    return {"period": p.label, "items": await service.views(ctx, await service.targets_for(ctx, [p]))}


@post("/sales-targets", tags=TAGS)
async def create_target(request: Request, ctx: RequestContext) -> Response[Any]:
    """``{period, dimension, key?, scope?, scope_value?, measure?, rule?, target, note?}`` → 201."""
    require_admin(ctx)
    data = await rules.parse_target(ctx, await json_body(request))
    target = await service.create(ctx, data)
    body = await _one(ctx, target)
    await ctx.session.commit()
    return Response(body, status_code=201)


@get("/sales-targets/report", tags=TAGS)
async def report(ctx: RequestContext, period: str | None = None, dimension: str | None = None) -> dict[str, Any]:
    """Regions, reps and customers ranked by attainment (within each dimension)."""
    require_staff(ctx)
    if dimension not in (None, "", "region", "sales_rep", "customer"):
        raise InputError("must be region, sales_rep or customer", field="dimension")
    p = _period(ctx, period)
    return {"period": p.label, "items": await service.ranking(ctx, p, dimension or None)}


@post("/sales-targets/copy", tags=TAGS)
async def copy_targets(request: Request, ctx: RequestContext) -> dict[str, Any]:
    """``{period, growth_percent?}``: copy the period's targets to the next one, grown."""
    require_admin(ctx)
    body = await json_body(request)
    p = parse_period(body.get("period"))
    growth = service.parse_growth(body.get("growth_percent"))
    result = await service.copy_to_next(ctx, p, growth)
    await ctx.session.commit()
    return result


@get("/sales-targets/mine", tags=TAGS)
async def my_targets(ctx: RequestContext) -> dict[str, Any]:
    """A buyer's own customer targets that are running now (this month, quarter and year)."""
    require_buyer(ctx)
    today = local_today(ctx.tenant.timezone)
    periods = [current(k, today) for k in ("month", "quarter", "year")]
    return {"items": await service.views(ctx, await service.targets_for(ctx, periods))}


@get("/sales-targets/{target_id:int}", tags=TAGS)
async def get_target(ctx: RequestContext, target_id: int) -> dict[str, Any]:
    require_staff(ctx)
    return await _one(ctx, await service.get_target(ctx, target_id))


@patch("/sales-targets/{target_id:int}", tags=TAGS)
async def change_target(request: Request, ctx: RequestContext, target_id: int) -> dict[str, Any]:
    """Change some fields (the others stay); the result is checked like a new target."""
    require_admin(ctx)
    target = await service.get_target(ctx, target_id)
    body = await json_body(request)
    unknown = [k for k in body if k not in EDITABLE]
    if unknown:
        raise InputError([{"field": k, "message": "unknown field"} for k in unknown])
    merged = {**_body_of(ctx, target, await service.names(ctx, [target])), **body}
    await service.update(ctx, target, await rules.parse_target(ctx, merged))
    result = await _one(ctx, target)
    await ctx.session.commit()
    return result


@delete("/sales-targets/{target_id:int}", tags=TAGS, status_code=204)
async def delete_target(ctx: RequestContext, target_id: int) -> None:
    require_admin(ctx)
    await ctx.session.delete(await service.get_target(ctx, target_id))
    await ctx.session.commit()


HANDLERS = [list_targets, create_target, report, copy_targets, my_targets, get_target, change_target,
            delete_target]
