"""Jobs of the rebates plugin; each re-reads state and is idempotent (closing twice finds the
first close, see ``settlement.close``).

``rebates.close_due`` closes, for every program, each period that has accruals and has ended;
``qudao enqueue rebates.close_due`` enqueues it for every tenant (run it daily, e.g.
from the Helm chart's CronJob: see helm/README.md); the worker skips tenants with the plugin off.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from qudao.core.jobs import job
from qudao.plugins.rebates import clock, settlement
from qudao.plugins.rebates.models import RebateAccrual, RebatePeriod, RebateProgram


@job("rebates.close_period", plugin="rebates")
async def close_period(ctx: Any, program_id: int, period: str) -> None:
    """Close one period of one program (from the admin or an integration)."""
    program = await ctx.session.scalar(select(RebateProgram).where(RebateProgram.id == int(program_id)))
    if program is None:
        return
    await settlement.close(ctx, program, settlement.period_of_text(program, period))
    await ctx.session.commit()


@job("rebates.close_due", plugin="rebates")
async def close_due(ctx: Any) -> None:
    """Close every ended period that has accruals and is not closed yet."""
    if not (ctx.settings("rebates") or {}).get("auto_close", True):
        return
    today = clock.today(ctx)
    programs = {p.id: p for p in (await ctx.session.scalars(select(RebateProgram))).all()}
    closed = set((await ctx.session.execute(select(RebatePeriod.program_id, RebatePeriod.period_key))).all())
    keys = (await ctx.session.execute(
        select(RebateAccrual.program_id, RebateAccrual.period_key).distinct())).all()
    for program_id, key in sorted(keys):
        program = programs.get(program_id)
        if program is None or (program_id, key) in closed:
            continue
        try:
            period = settlement.period_of_text(program, key)
        except Exception:  # noqa: BLE001 - a key of a period kind the program no longer has
            continue
        if period.ends_on < today:
            await settlement.close(ctx, program, period)
            await ctx.session.commit()
