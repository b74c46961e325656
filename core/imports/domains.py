"""The kinds of file there are, and importing or exporting one of them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.imports import customers, prices, products
from qudao.core.imports.files import FileError, read_rows
from qudao.core.imports.rows import Domain, ImportResult, Progress, check_keys, records
from qudao.core.money import quantize

DOMAINS: dict[str, Domain] = {d.kind: d for d in (products.DOMAIN, customers.DOMAIN, prices.DOMAIN)}
KINDS = tuple(DOMAINS)
COLUMNS = {kind: d.columns for kind, d in DOMAINS.items()}


def domain(kind: str) -> Domain:
    if kind not in DOMAINS:
        raise FileError(f"must be one of {', '.join(KINDS)}", field="kind")
    return DOMAINS[kind]


async def import_file(session: AsyncSession, kind: str, filename: str | None, data: bytes, *, currency: str,
                      user_id: int | None, progress: Progress | None = None) -> ImportResult:
    """Validate and apply every row in the session's transaction. The caller commits
    when ``result.ok`` and rolls back otherwise."""
    dom = domain(kind)
    result = ImportResult(kind)
    header, rows = read_rows(filename, data)
    recs = records(dom, header, rows, result)
    result.rows = len(recs)
    if not result.ok:
        return result
    if not recs:
        result.error(2, "", "the file has no data rows")
        return result
    check_keys(dom, recs, result)
    if not result.ok:
        return result
    await dom.apply(session, recs, result, currency=currency, user_id=user_id, progress=progress)
    return result


async def export_rows(session: AsyncSession, kind: str,
                      currency: str = "CNY") -> tuple[tuple[str, ...], list[list[Any]]]:
    """Every row of a kind, money quantized to the currency (import the file again and nothing changes)."""
    dom = domain(kind)
    rows = await dom.export(session)
    return dom.columns, [[quantize(v, currency) if isinstance(v, Decimal) else v for v in row] for row in rows]


def template_rows(kind: str) -> tuple[tuple[str, ...], list[list[Any]]]:
    """An example file for each kind."""
    dom = DOMAINS[kind]
    return dom.columns, dom.example
