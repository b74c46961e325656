"""What every import shares: the result (counts and ``{row, column, message}`` errors), a
domain's description (columns, required, key, how to apply and export it), turning rows into
records, and one loop that applies each record, records its refusal and reports progress."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.errors import InputError, QudaoError

MAX_ERRORS = 1000
PROGRESS_EVERY = 500

Record = tuple[int, dict[str, str]]  # (spreadsheet row number, column -> text)
Progress = Callable[[int, int], Awaitable[Any]]


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


@dataclass(frozen=True)
class Domain:
    """One kind of file: its columns, which are required, the column that must be unique in a
    file (if any), how its records are applied, how it is exported, and an example file."""

    kind: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    key: str | None
    apply: Callable[..., Awaitable[None]]  # (session, records, result, *, currency, user_id, progress)
    export: Callable[[AsyncSession], Awaitable[list[list[Any]]]]
    example: list[list[Any]]


def records(domain: Domain, header: list[str], rows: list[tuple[int, list[str]]],
            result: ImportResult) -> list[Record]:
    """Rows as dicts of the known columns; header problems are errors on row 1."""
    known = domain.columns
    for col in header:
        if col and col not in known:
            result.error(1, col, f"unknown column; use: {', '.join(known)}")
    seen = set()
    for col in header:
        if col in seen and col:
            result.error(1, col, "appears twice")
        seen.add(col)
    for col in domain.required:
        if col not in header:
            result.error(1, col, "this column is required")
    out = []
    for number, cells in rows:
        rec = {col: (cells[i] if i < len(cells) else "") for i, col in enumerate(header) if col in known}
        out.append((number, rec))
    return out


def check_keys(domain: Domain, recs: list[Record], result: ImportResult) -> None:
    """A key (SKU, customer code) may stand in one row of a file only."""
    if domain.key is None:
        return
    first: dict[str, int] = {}
    for number, rec in recs:
        key = rec.get(domain.key, "")
        if key and key in first:
            result.error(number, domain.key, f"'{key}' appears again (first on row {first[key]})")
        first.setdefault(key, number)


def record_errors(result: ImportResult, number: int, exc: QudaoError) -> None:
    """A service's refusal as errors on the row (an InputError names the column)."""
    if isinstance(exc, InputError):
        for e in exc.errors:
            result.error(number, e["field"], e["message"])
    else:
        result.error(number, "", exc.detail)


SKIP = object()  # what an apply function returns for a row it refused or left alone itself


async def each_row(recs: list[Record], result: ImportResult, apply: Callable[[int, dict[str, str]], Awaitable[Any]],
                   progress: Progress | None, *, done_before: int = 0, total: int | None = None) -> None:
    """Apply every record through the service functions the API uses.

    ``apply`` returns True (created), False (updated), None (neither counted) or :data:`SKIP`
    (it recorded its own error); a service refusal (:class:`QudaoError`) becomes the row's errors.
    Progress is reported every few hundred rows as ``(done_before + i, total)``.
    """
    for i, (number, rec) in enumerate(recs):
        try:
            outcome = await apply(number, rec)
        except QudaoError as exc:
            record_errors(result, number, exc)
            continue
        if outcome is SKIP:
            continue
        if outcome is True:
            result.created += 1
        elif outcome is False:
            result.updated += 1
        if progress is not None and i % PROGRESS_EVERY == 0:
            await progress(done_before + i, len(recs) if total is None else total)


def parse_bool(value: str) -> bool | str:
    """Spreadsheet yes/no (1/0, true/false, 是/否); the text itself when it is neither."""
    v = value.strip().lower()
    if v in ("1", "true", "yes", "y", "是", "on"):
        return True
    if v in ("0", "false", "no", "n", "否", "off"):
        return False
    return value
