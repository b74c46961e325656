"""Rebate liability reports by program, customer or period, with an Excel export.

Per (program, period, customer): ``basis`` (what received orders contributed), ``accrued`` (the
rebate the program's math gives on it: the entry's amount once the period is closed, an estimate
while it is open), ``pending`` / ``approved`` / ``rejected`` entry amounts. By customer also
``used`` (deducted from orders, net of what cancelled orders gave back) and ``balance``.
``outstanding`` is what the brand may still pay: open-period estimates + pending entries (+ the
account balance, by customer; money already in accounts is not attributed to programs or periods).
"""

from __future__ import annotations

import io
from collections import defaultdict
from decimal import Decimal
from typing import Any

from litestar.response import Response
from sqlalchemy import func, select

from qudao.core.customers.models import Customer
from qudao.plugins.rebates import ledger
from qudao.plugins.rebates.models import (
    APPROVED,
    L_DEDUCTION,
    L_EDIT,
    L_RESTORE,
    PENDING,
    REJECTED,
    RebateAccount,
    RebateAccrual,
    RebateEntry,
    RebateLedger,
    RebatePeriod,
    RebateProgram,
    from_minor,
    to_minor,
)
from qudao.plugins.rebates.progress import estimate

DIMENSIONS = ("program", "customer", "period")
MONEY = ("basis", "accrued", "pending", "approved", "rejected", "used", "balance", "outstanding")


def columns(by: str) -> list[str]:
    cols = ["basis", "accrued", "pending", "approved", "rejected"]
    return [*cols, "used", "balance", "outstanding"] if by == "customer" else [*cols, "outstanding"]


async def rows(ctx: Any, by: str) -> list[dict[str, Any]]:
    session, currency = ctx.session, ctx.tenant.currency or "CNY"
    progs = {p.id: p for p in (await session.scalars(select(RebateProgram))).all()}
    names = {c.id: (c.code, c.name) for c in (await session.execute(select(Customer.id, Customer.code, Customer.name))).all()}
    closed = set((await session.execute(select(RebatePeriod.program_id, RebatePeriod.period_key))).all())
    cells: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: dict.fromkeys(MONEY, 0))
    for program_id, key, customer_id, amount, qty in (await session.execute(
            select(RebateAccrual.program_id, RebateAccrual.period_key, RebateAccrual.customer_id,
                   func.sum(RebateAccrual.amount_minor), func.sum(RebateAccrual.qty))
            .group_by(RebateAccrual.program_id, RebateAccrual.period_key, RebateAccrual.customer_id))).all():
        cell = cells[(program_id, key, customer_id)]
        cell["basis"] = int(amount or 0)
        if (program_id, key) not in closed and program_id in progs:
            est = to_minor(estimate(progs[program_id], from_minor(int(amount or 0), currency), int(qty or 0),
                                    currency), currency)
            cell["accrued"] = est
            cell["outstanding"] += est
    for e in (await session.scalars(select(RebateEntry))).all():
        cell = cells[(e.program_id, e.period_key, e.customer_id)]
        cell["accrued"] = e.amount_minor
        cell[e.status] += e.amount_minor
        if e.status == PENDING:
            cell["outstanding"] += e.amount_minor
    out: dict[str, dict[str, Any]] = {}
    for (program_id, key, customer_id), cell in cells.items():
        if by == "program":
            p = progs.get(program_id)
            label, name = (p.code, p.name) if p else ("?", "")
        elif by == "customer":
            label, name = names.get(customer_id, ("?", ""))
        else:
            label, name = key, ""
        row = out.setdefault(label, {"key": label, "name": name, **dict.fromkeys(MONEY, 0)})
        for k in (APPROVED, PENDING, REJECTED, "basis", "accrued", "outstanding"):
            row[k] += cell[k]
    if by == "customer":
        ids = {code: cid for cid, (code, _n) in names.items()}
        used = dict((await session.execute(
            select(RebateLedger.customer_id, func.sum(RebateLedger.amount_minor))
            .where(RebateLedger.kind.in_((L_DEDUCTION, L_RESTORE, L_EDIT))).group_by(RebateLedger.customer_id))).all())
        balances = dict((await session.execute(select(RebateAccount.customer_id, RebateAccount.balance_minor))).all())
        for cid in balances:  # customers with only manual adjustments show too
            code, name = names.get(cid, ("?", ""))
            out.setdefault(code, {"key": code, "name": name, **dict.fromkeys(MONEY, 0)})
        for code, row in out.items():
            cid = ids.get(code)
            row["used"] = -int(used.get(cid, 0) or 0)
            row["balance"] = int(balances.get(cid, 0) or 0)
            row["outstanding"] += row["balance"]
    result = sorted(out.values(), key=lambda r: r["key"])
    return [{**r, **{k: ledger.money(r[k], currency) for k in MONEY}} for r in result]


def xlsx_response(by: str, data: list[dict[str, Any]]) -> Response[bytes]:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = f"rebates by {by}"
    cols = columns(by)
    ws.append([by, "name", *cols])
    for r in data:
        ws.append([r["key"], r["name"], *[Decimal(r[c]) for c in cols]])
    for row in ws.iter_rows(min_row=2, min_col=3):
        for cell in row:
            cell.number_format = "#,##0.00"
    buf = io.BytesIO()
    wb.save(buf)
    return Response(buf.getvalue(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="rebates-by-{by}.xlsx"'})
