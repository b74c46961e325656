"""Import and export of products, customers and prices as Excel (.xlsx) or CSV.

Imports read the whole file, validate every row through the same service
functions the API uses (``upsert_product``, ``upsert_customer``,
``set_tier_price``, ``set_customer_price``) inside one transaction, and report
every problem as ``{row, column, message}``. If any row is bad the caller rolls
the transaction back, so a file is imported completely or not at all.
Row numbers are the spreadsheet's (the header is row 1).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.catalog.models import Brand, Category, Product
from qudao.core.catalog.service import CatalogCache, upsert_product
from qudao.core.customers.models import Customer, Tier
from qudao.core.customers.service import upsert_customer
from qudao.core.errors import InputError, QudaoError
from qudao.core.inventory.models import Warehouse
from qudao.core.money import quantize
from qudao.core.pricing.models import CustomerPrice, TierPrice
from qudao.core.pricing.service import set_customer_price, set_tier_price

MAX_ROWS = 100_000
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ERRORS = 1000

PRODUCT_COLUMNS = ("sku", "name", "price", "retail_price", "floor_price", "brand", "category", "unit", "spec",
                   "barcode", "erp_code", "min_qty", "order_multiple", "active", "featured", "description")
CUSTOMER_COLUMNS = ("code", "name", "type", "tier", "parent", "region", "warehouse", "status")
PRICE_COLUMNS = ("kind", "target", "sku", "price")
COLUMNS = {"products": PRODUCT_COLUMNS, "customers": CUSTOMER_COLUMNS, "prices": PRICE_COLUMNS}
REQUIRED = {"products": ("sku",), "customers": ("code",), "prices": ("kind", "target", "sku", "price")}
KEY = {"products": "sku", "customers": "code"}
KINDS = tuple(COLUMNS)


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    more_errors: int = 0

    def error(self, row: int, column: str, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"row": row, "column": column, "message": message})
        else:
            self.more_errors += 1

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rows": self.rows, "created": self.created, "updated": self.updated,
                "errors": self.errors, "more_errors": self.more_errors}


class FileError(InputError):
    """The file itself cannot be read (format, header, size)."""


# --- reading -------------------------------------------------------------------

def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return str(Decimal(repr(value)))
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def file_format(filename: str | None, data: bytes) -> str:
    name = (filename or "").lower()
    if data[:4] == b"PK\x03\x04" or name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith((".csv", ".txt")) or not name:
        return "csv"
    raise FileError("upload an .xlsx or .csv file", field="file")


def read_rows(filename: str | None, data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (row number, cells) of the first sheet; empty rows are skipped."""
    if not data:
        raise FileError("the file is empty", field="file")
    if len(data) > MAX_FILE_BYTES:
        raise FileError("the file is larger than 20 MB", field="file")
    fmt = file_format(filename, data)
    raw_rows: Iterable[tuple[int, list[str]]]
    if fmt == "xlsx":
        raw_rows = _xlsx_rows(data)
    else:
        raw_rows = _csv_rows(data)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, cells in raw_rows:
        if not any(cells):
            continue
        if header is None:
            header = [c.strip().lower() for c in cells]
            continue
        rows.append((number, cells))
        if len(rows) > MAX_ROWS:
            raise FileError(f"at most {MAX_ROWS} rows per file", field="file")
    if header is None:
        raise FileError("the file has no header row", field="file")
    while header and not header[-1]:
        header.pop()
    return header, rows


def _xlsx_rows(data: bytes) -> Iterable[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable workbook is the user's file problem
        raise FileError("this is not a readable .xlsx workbook", field="file") from None
    try:
        ws = wb.worksheets[0]
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in values]
    finally:
        wb.close()


def _csv_rows(data: bytes) -> Iterable[tuple[int, list[str]]]:
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None or "\x00" in text:
        raise FileError("this is not a UTF-8 (or GB18030) CSV file", field="file")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, [c.strip() for c in cells]
    except csv.Error as exc:
        raise FileError(f"the CSV cannot be read: {exc}", field="file") from None


def records(kind: str, header: list[str], rows: list[tuple[int, list[str]]],
            result: ImportResult) -> list[tuple[int, dict[str, str]]]:
    """Rows as dicts of the known columns; header problems are errors on row 1."""
    known = COLUMNS[kind]
    for col in header:
        if col and col not in known:
            result.error(1, col, f"unknown column; use: {', '.join(known)}")
    seen = set()
    for col in header:
        if col in seen and col:
            result.error(1, col, "appears twice")
        seen.add(col)
    for col in REQUIRED[kind]:
        if col not in header:
            result.error(1, col, "this column is required")
    out = []
    for number, cells in rows:
        rec = {col: (cells[i] if i < len(cells) else "") for i, col in enumerate(header) if col in known}
        out.append((number, rec))
    return out


# --- importing -----------------------------------------------------------------

def _record_errors(result: ImportResult, number: int, exc: QudaoError, column_of: Callable[[str], str]) -> None:
    if isinstance(exc, InputError):
        for e in exc.errors:
            result.error(number, column_of(e["field"]), e["message"])
    else:
        result.error(number, "", exc.detail)


async def import_file(session: AsyncSession, kind: str, filename: str | None, data: bytes, *, currency: str,
                      user_id: int | None, progress: Callable[[int, int], Any] | None = None) -> ImportResult:
    """Validate and apply every row in the session's transaction. The caller commits
    when ``result.ok`` and rolls back otherwise."""
    if kind not in COLUMNS:
        raise FileError(f"must be one of {', '.join(KINDS)}", field="kind")
    result = ImportResult(kind)
    header, rows = read_rows(filename, data)
    recs = records(kind, header, rows, result)
    result.rows = len(recs)
    if not result.ok:
        return result
    if not recs:
        result.error(2, "", "the file has no data rows")
        return result
    if kind in KEY:
        first: dict[str, int] = {}
        for number, rec in recs:
            key = rec.get(KEY[kind], "")
            if key and key in first:
                result.error(number, KEY[kind], f"'{key}' appears again (first on row {first[key]})")
            first.setdefault(key, number)
        if not result.ok:
            return result
    importer = {"products": _import_products, "customers": _import_customers, "prices": _import_prices}[kind]
    await importer(session, recs, result, currency=currency, user_id=user_id, progress=progress)
    return result


def _bool(value: str) -> bool | str:
    v = value.strip().lower()
    if v in ("1", "true", "yes", "y", "是", "on"):
        return True
    if v in ("0", "false", "no", "n", "否", "off"):
        return False
    return value


async def _import_products(session: AsyncSession, recs: list[tuple[int, dict[str, str]]], result: ImportResult,
                           *, currency: str, user_id: int | None, progress: Any) -> None:
    cache = await CatalogCache.load(session)
    existing = set(cache.products)
    for i, (number, rec) in enumerate(recs):
        sku = rec.get("sku", "")
        data: dict[str, Any] = {}
        for col, value in rec.items():
            if col == "sku" or value == "":
                continue
            if col in ("active", "featured"):
                parsed = _bool(value)
                if isinstance(parsed, str):
                    result.error(number, col, "must be true or false (1/0, yes/no)")
                    continue
                data[col] = parsed
            else:
                data[col] = value
        try:
            await upsert_product(session, sku, data, currency=currency, user_id=user_id, cache=cache)
        except QudaoError as exc:
            _record_errors(result, number, exc, lambda f: f)
            continue
        if sku in existing:
            result.updated += 1
        else:
            result.created += 1
            existing.add(sku)
        if progress is not None and i % 500 == 0:
            await progress(i, len(recs))
    await session.flush()


async def _import_customers(session: AsyncSession, recs: list[tuple[int, dict[str, str]]], result: ImportResult,
                            *, currency: str, user_id: int | None, progress: Any) -> None:
    existing = set((await session.scalars(select(Customer.code))).all())
    # first pass without parents (a parent may come later in the file), then the parents
    for i, (number, rec) in enumerate(recs):
        code = rec.get("code", "")
        data = {k: v for k, v in rec.items() if k not in ("code", "parent") and v != ""}
        try:
            await upsert_customer(session, code, data)
        except QudaoError as exc:
            _record_errors(result, number, exc, lambda f: f)
            continue
        if code in existing:
            result.updated += 1
        else:
            result.created += 1
            existing.add(code)
        if progress is not None and i % 500 == 0:
            await progress(i, 2 * len(recs))
    if not result.ok:
        return
    for i, (number, rec) in enumerate(recs):
        if "parent" not in rec:
            continue
        try:
            await upsert_customer(session, rec["code"], {"parent": rec["parent"]})
        except QudaoError as exc:
            _record_errors(result, number, exc, lambda f: f)
        if progress is not None and i % 500 == 0:
            await progress(len(recs) + i, 2 * len(recs))


async def _import_prices(session: AsyncSession, recs: list[tuple[int, dict[str, str]]], result: ImportResult,
                         *, currency: str, user_id: int | None, progress: Any) -> None:
    seen: dict[tuple[str, str, str], int] = {}
    for i, (number, rec) in enumerate(recs):
        kind, target, sku = rec.get("kind", "").lower(), rec.get("target", ""), rec.get("sku", "")
        key = (kind, target, sku)
        if key in seen:
            result.error(number, "sku", f"this {kind} price appears again (first on row {seen[key]})")
            continue
        seen[key] = number
        if kind not in ("tier", "customer"):
            result.error(number, "kind", "must be tier or customer")
            continue
        for col in ("target", "sku", "price"):
            if not rec.get(col):
                result.error(number, col, "is required")
        if not all(rec.get(c) for c in ("target", "sku", "price")):
            continue
        setter = set_tier_price if kind == "tier" else set_customer_price
        try:
            _, created = await setter(session, target, sku, {"price": rec["price"]}, currency=currency,
                                      user_id=user_id)
        except InputError as exc:
            _record_errors(result, number, exc, lambda f: f)
            continue
        except QudaoError as exc:
            result.error(number, "sku" if "SKU" in exc.detail else "target", exc.detail)
            continue
        result.created += int(created)
        result.updated += int(not created)
        if progress is not None and i % 500 == 0:
            await progress(i, len(recs))


# --- exporting -----------------------------------------------------------------

async def export_rows(session: AsyncSession, kind: str,
                      currency: str = "CNY") -> tuple[tuple[str, ...], list[list[Any]]]:
    columns, rows = await _export_rows(session, kind)
    return columns, [[quantize(v, currency) if isinstance(v, Decimal) else v for v in row] for row in rows]


async def _export_rows(session: AsyncSession, kind: str) -> tuple[tuple[str, ...], list[list[Any]]]:
    if kind == "products":
        brands = dict((await session.execute(select(Brand.id, Brand.code))).all())
        cats = dict((await session.execute(select(Category.id, Category.code))).all())
        rows = []
        for p in (await session.scalars(select(Product).order_by(Product.sku))).all():
            rows.append([p.sku, p.name, p.price, p.retail_price, p.floor_price, brands.get(p.brand_id),
                         cats.get(p.category_id), p.unit, p.spec, p.barcode, p.erp_code, p.min_qty,
                         p.order_multiple, p.active, p.featured, p.description])
        return PRODUCT_COLUMNS, rows
    if kind == "customers":
        tiers = dict((await session.execute(select(Tier.id, Tier.code))).all())
        whs = dict((await session.execute(select(Warehouse.id, Warehouse.code))).all())
        customers = (await session.scalars(select(Customer).order_by(Customer.code))).all()
        codes = {c.id: c.code for c in customers}
        return CUSTOMER_COLUMNS, [[c.code, c.name, c.type, tiers.get(c.tier_id), codes.get(c.parent_id), c.region,
                                   whs.get(c.warehouse_id), c.status] for c in customers]
    if kind == "prices":
        skus = dict((await session.execute(select(Product.id, Product.sku))).all())
        tiers = dict((await session.execute(select(Tier.id, Tier.code))).all())
        custs = dict((await session.execute(select(Customer.id, Customer.code))).all())
        rows = [["tier", tiers.get(t.tier_id), skus.get(t.product_id), t.price]
                for t in (await session.scalars(select(TierPrice))).all()]
        rows += [["customer", custs.get(c.customer_id), skus.get(c.product_id), c.price]
                 for c in (await session.scalars(select(CustomerPrice))).all()]
        rows.sort(key=lambda r: (r[0], r[1] or "", r[2] or ""))
        return PRICE_COLUMNS, rows
    raise FileError(f"must be one of {', '.join(KINDS)}", field="kind")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def to_csv(columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(list(columns))
    for row in rows:
        writer.writerow([_plain(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(columns: Iterable[str], rows: Iterable[Iterable[Any]], title: str = "data") -> bytes:
    """Money stays text so no cent is lost to floating point in Excel."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    ws.append(list(columns))
    for row in rows:
        ws.append([_xlsx_value(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def template_rows(kind: str) -> tuple[tuple[str, ...], list[list[Any]]]:
    """An example file for each kind."""
    examples = {
        "products": [["SKU-001", "绿茶 500ml", "12.50", "18.00", "10.00", "", "drinks", "瓶", "500ml", "", "",
                      "1", "6", "true", "false", ""]],
        "customers": [["D001", "华东经销商", "l1_distributor", "", "", "上海/上海/浦东", "", "active"],
                      ["S001", "门店一", "store", "", "D001", "", "", "active"]],
        "prices": [["tier", "GOLD", "SKU-001", "11.00"], ["customer", "S001", "SKU-001", "10.80"]],
    }
    return COLUMNS[kind], examples[kind]


# --- large files as a background job ----------------------------------------------
#
# The uploaded file and a small status document live under
# ``<var_dir>/imports/<tenant_id>/<job id>``; the job ``core.import`` carries only
# ids, re-reads the file, reports progress into the status document and runs
# once (a repeated delivery of a job that already started does nothing).

BACKGROUND_BYTES = 256 * 1024
JOB_ID_LEN = 32


def _jobs_dir(tenant_id: int) -> Any:
    from qudao.core.config import get_settings

    return get_settings().var_dir / "imports" / str(int(tenant_id))


def valid_job_id(job_id: str) -> bool:
    return len(job_id) == JOB_ID_LEN and all(c in "0123456789abcdef" for c in job_id)


def read_status(tenant_id: int, job_id: str) -> dict[str, Any] | None:
    import json

    if not valid_job_id(job_id):
        return None
    path = _jobs_dir(tenant_id) / f"{job_id}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_status(tenant_id: int, job_id: str, status: dict[str, Any]) -> None:
    import json
    import os

    folder = _jobs_dir(tenant_id)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{job_id}.json.tmp"
    tmp.write_text(json.dumps(status, default=str))
    os.replace(tmp, folder / f"{job_id}.json")


def queue_import(session: AsyncSession, tenant_id: int, kind: str, filename: str | None, data: bytes, *,
                 user_id: int | None, dry_run: bool) -> str:
    """Store the file and enqueue ``core.import`` (sent when the session commits)."""
    import secrets

    from qudao.core.db.session import enqueue_after_commit

    if kind not in COLUMNS:
        raise FileError(f"must be one of {', '.join(KINDS)}", field="kind")
    if not data:
        raise FileError("the file is empty", field="file")
    if len(data) > MAX_FILE_BYTES:
        raise FileError("the file is larger than 20 MB", field="file")
    file_format(filename, data)
    job_id = secrets.token_hex(JOB_ID_LEN // 2)
    folder = _jobs_dir(tenant_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{job_id}.upload").write_bytes(data)
    write_status(tenant_id, job_id, {"state": "queued", "kind": kind, "filename": filename or "", "done": 0,
                                     "total": 0, "dry_run": dry_run, "user_id": user_id, "result": None})
    enqueue_after_commit(session, "core.import", job_id=job_id)
    return job_id


async def run_import_job(ctx: Any, job_id: str) -> None:
    """The ``core.import`` job: validate and import the stored file, all rows or none."""
    tenant_id = ctx.tenant.id
    status = read_status(tenant_id, job_id)
    if status is None or status.get("state") != "queued":
        return  # unknown, or already started once: never import twice
    status["state"] = "running"
    write_status(tenant_id, job_id, status)
    path = _jobs_dir(tenant_id) / f"{job_id}.upload"

    async def progress(done: int, total: int) -> None:
        status["done"], status["total"] = done, total
        write_status(tenant_id, job_id, status)

    try:
        data = path.read_bytes()
        result = await import_file(ctx.session, status["kind"], status["filename"], data,
                                   currency=ctx.tenant.currency, user_id=status.get("user_id"), progress=progress)
        if result.ok and not status.get("dry_run"):
            await ctx.session.commit()
        else:
            await ctx.session.rollback()
        status["result"] = result.as_dict()
        status["state"] = "done"
    except InputError as exc:
        await ctx.session.rollback()
        status["result"] = {"kind": status["kind"], "rows": 0, "created": 0, "updated": 0, "more_errors": 0,
                            "errors": [{"row": "", "column": e["field"], "message": e["message"]}
                                       for e in exc.errors]}
        status["state"] = "done"
    except Exception as exc:  # noqa: BLE001 - recorded for the admin, then re-raised for the worker log
        await ctx.session.rollback()
        status["state"], status["error"] = "failed", type(exc).__name__
        write_status(tenant_id, job_id, status)
        raise
    finally:
        path.unlink(missing_ok=True)
    status["done"] = status["total"] = status["result"]["rows"] if status.get("result") else 0
    write_status(tenant_id, job_id, status)


def _register_job() -> None:
    from qudao.core.jobs import job

    job("core.import", max_retries=0, time_limit=30 * 60 * 1000)(run_import_job)


_register_job()
