"""Helpers shared by API handlers: JSON bodies, upsert answers, code-named resources and the
list endpoints' paging (``limit``/``offset`` checked once, ``{items, total}`` answers)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get, put
from litestar.handlers import HTTPRouteHandler
from sqlalchemy import Select, func, select

from qudao.core.errors import InputError
from qudao.web.context import RequestContext, require_staff

MAX_BODY = 2 * 1024 * 1024


async def json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise InputError("is too large", field="body")
    if not raw.strip():
        raise InputError("a JSON object is required", field="body")
    try:
        data = json.loads(raw, parse_float=str)
    except (ValueError, UnicodeDecodeError):
        raise InputError("is not valid JSON", field="body") from None
    if not isinstance(data, dict):
        raise InputError("must be a JSON object", field="body")
    return data


def upserted(body: Any, created: bool) -> Response[Any]:
    return Response(body, status_code=201 if created else 200)


def code_and_name(row: Any) -> dict[str, Any]:
    return {"code": row.code, "name": row.name}


async def put_coded(request: Request, ctx: RequestContext, code: str,
                    upsert: Callable[[Any, str, dict[str, Any]], Awaitable[tuple[Any, bool]]]) -> Response[Any]:
    """``PUT /<things>/{code}`` of a code-and-name resource (brand, tier, warehouse): staff only,
    answers ``{code, name}`` with 201 when created."""
    require_staff(ctx)
    row, created = await upsert(ctx.session, code, await json_body(request))
    await ctx.session.commit()
    return upserted(code_and_name(row), created)


async def list_coded(ctx: RequestContext, model: Any, *criteria: Any) -> list[dict[str, Any]]:
    """``GET /<things>`` of a code-and-name resource: staff only, ``[{code, name}]`` by code."""
    require_staff(ctx)
    stmt = select(model).where(*criteria).order_by(model.code)
    return [code_and_name(row) for row in await ctx.session.scalars(stmt)]


def coded_routes(path: str, model: Any, upsert: Callable[[Any, str, dict[str, Any]], Awaitable[tuple[Any, bool]]],
                 tag: str, name: str, where: Callable[[], Any] | None = None
                 ) -> tuple[HTTPRouteHandler, HTTPRouteHandler]:
    """``PUT {path}/{code}`` and ``GET {path}`` of a code-and-name resource (``name``: "brand");
    ``where()`` gives criteria the list keeps to."""

    async def put_one(request: Request, ctx: RequestContext, code: str) -> Response[Any]:
        return await put_coded(request, ctx, code, upsert)

    async def list_all(ctx: RequestContext) -> list[dict[str, Any]]:
        return await list_coded(ctx, model, *([where()] if where is not None else []))

    put_one.__name__ = put_one.__qualname__ = f"put_{name}"
    list_all.__name__ = list_all.__qualname__ = f"list_{name}s"
    return put(f"{path}/{{code:str}}", tags=[tag])(put_one), get(path, tags=[tag])(list_all)


# --- list endpoints ---------------------------------------------------------------


MAX_OFFSET = 1_000_000_000


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


def paging(limit: Any, offset: Any, *, default: int = 50, most: int = 200) -> Paging:
    """A list endpoint's ``limit`` and ``offset`` query values (text or numbers; absent = ``default``
    and 0). A bad value is an :class:`InputError` naming the field, answered as a 422 problem+json."""
    try:
        lim = default if limit in (None, "") else int(limit)
        off = 0 if offset in (None, "") else int(offset)
    except (TypeError, ValueError):
        raise InputError([{"field": "limit", "message": "limit and offset must be whole numbers"}]) from None
    if lim < 1 or lim > most:
        raise InputError([{"field": "limit", "message": f"must be between 1 and {most}"}])
    if off < 0:
        raise InputError([{"field": "offset", "message": "must not be negative"}])
    if off > MAX_OFFSET:  # beyond any real list, and beyond what the databases' integers hold
        raise InputError([{"field": "offset", "message": f"must be at most {MAX_OFFSET}"}])
    return Paging(lim, off)


async def page_of(ctx: RequestContext, stmt: Select[Any], page: Paging) -> tuple[list[Any], int]:
    """One page of ``stmt`` (already ordered) and the number of rows it has in all."""
    rows = (await ctx.session.scalars(stmt.limit(page.limit).offset(page.offset))).all()
    total = await ctx.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return list(rows), int(total or 0)


def listing(items: list[Any], total: int) -> dict[str, Any]:
    """The answer of every list endpoint: ``{items, total}`` (``total`` counts all pages)."""
    return {"items": items, "total": total}
