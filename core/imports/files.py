"""Spreadsheet files: reading the first sheet of an .xlsx or a CSV (UTF-8 or GB18030) into a
header and numbered rows, and writing rows back as CSV or .xlsx. Row numbers are the
spreadsheet's (the header is row 1)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from qudao.core.errors import InputError

MAX_ROWS = 100_000
MAX_FILE_BYTES = 20 * 1024 * 1024


class FileError(InputError):
    """The file itself cannot be read (format, header, size)."""


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
