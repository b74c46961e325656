"""Excel in and out: the import template, importing a sheet of targets (all rows or none), and the
ranking report as a workbook."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

from qudao.core.errors import InputError
from qudao.core.plugin_api import TenantContext
from qudao.plugins.sales_targets import rules, service

COLUMNS = ("period", "dimension", "key", "scope", "scope_value", "measure", "rule", "target", "note")
# Chinese headers are accepted too (the template is bilingual)
ALIASES = {"期间": "period", "维度": "dimension", "对象": "key", "产品范围": "scope", "产品": "scope_value",
           "指标": "measure", "口径": "rule", "目标": "target", "备注": "note"}
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "targets"
    ws.append(list(COLUMNS))
    ws.append(["2026-01", "region", "华东/上海", "all", "", "amount", "placed", "100000.00", ""])
    ws.append(["2026-Q1", "customer", "C001", "brand", "BRAND-A", "qty", "received", 500, ""])
    ws.append(["2026", "sales_rep", "rep@example.com", "skus", "SKU-1,SKU-2", "amount", "approved", "80000", ""])
    return _save(wb)


def _save(wb: Any) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_rows(data: bytes) -> list[tuple[int, dict[str, Any]]]:
    """Sheet rows as ``(row number, {column: value})``; a file that is no workbook is an InputError."""
    if not data:
        raise InputError("choose an Excel file (.xlsx)", field="file")
    if len(data) > MAX_BYTES:
        raise InputError("the file must be at most 5 MB", field="file")
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise InputError("is not an Excel workbook (.xlsx)", field="file") from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise InputError("the sheet is empty", field="file")
    names = [ALIASES.get(str(h or "").strip(), str(h or "").strip().lower()) for h in header]
    missing = [c for c in ("period", "target") if c not in names]
    if missing:
        raise InputError(f"the first row must name the columns ({', '.join(COLUMNS)}); missing: "
                         f"{', '.join(missing)}", field="file")
    out = []
    for number, values in enumerate(rows, start=2):
        if values is None or all(v in (None, "") for v in values):
            continue
        if len(out) >= MAX_ROWS:
            raise InputError(f"at most {MAX_ROWS} rows per file", field="file")
        row = {n: v for n, v in zip(names, values, strict=False) if n in COLUMNS}
        out.append((number, {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items()}))
    wb.close()
    if not out:
        raise InputError("the sheet has no targets below its header", field="file")
    return out


async def import_targets(ctx: TenantContext, data: bytes) -> dict[str, Any]:
    """Check every row first; any bad row (or a target twice in the file) stores nothing.

    Returns ``{created, updated}``; raises InputError whose errors name ``row N: field``."""
    checked: list[rules.TargetInput] = []
    errors: list[dict[str, str]] = []
    seen: dict[tuple[Any, ...], int] = {}
    for number, row in read_rows(data):
        if isinstance(row.get("target"), int | float) and row.get("measure", "amount") != "qty":
            row["target"] = str(row["target"])
        if isinstance(row.get("period"), date):  # Excel turned "2026-03" into a date
            row["period"] = f"{row['period'].year}-{row['period'].month:02d}"
        for key in ("period", "key"):
            if isinstance(row.get(key), int | float):
                row[key] = str(int(row[key]))
        try:
            target = await rules.parse_target(ctx, row)
        except InputError as exc:
            errors.extend({"field": f"row {number}: {e['field']}", "message": e["message"]} for e in exc.errors)
            continue
        if target.natural_key in seen:
            errors.append({"field": f"row {number}", "message": f"the same target as row {seen[target.natural_key]}"})
            continue
        seen[target.natural_key] = number
        checked.append(target)
    if errors:
        raise InputError(errors)
    created, updated = await service.upsert_many(ctx, checked)
    return {"created": created, "updated": updated}


def report_workbook(rows: list[dict[str, Any]], period: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = f"ranking {period}"[:31]
    ws.append(["rank", "dimension", "key", "name", "products", "measure", "rule", "target", "actual", "percent"])
    for r in rows:
        value = r["scope_value"] if isinstance(r["scope_value"], str) else ",".join(r["scope_value"])
        scope = r["scope"] if r["scope"] == "all" else f"{r['scope']}: {value}"
        ws.append([r["rank"], r["dimension"], r["key"], r["name"], scope, r["measure"], r["rule"],
                   Decimal(r["target"]), Decimal(r["actual"]), Decimal(r["percent"])])
    return _save(wb)
