"""The shapes the admin pages repeat, written once.

* ``paginate()``: count a filtered listing and fetch one page of it, in the order given;
  ``sort_order()`` reads that order from the URL (``?sort=-total``) against allowed columns.
* ``ListQuery`` / ``LIST_QUERY``: the query parameters every admin list reads (``q``, ``p``, ``sort``),
  declared once as a dependency; ``ListQuery.fetch()`` sorts and pages a listing with them.
* ``by_code()`` / ``code_taken()``: load a tenant's record by its code (404 in words) and
  the duplicate check a create form runs.
* ``product_page()``: a product's own page (its prices, its stock), also when a form on it is refused;
  ``product_change()`` runs a form posted on such a page.
* ``save_routes()``: the create and update routes of a record edited on one form (``…/new``,
  ``…/{code}``), for customers, price policies and the ``CodedRecords``.
* ``CodedRecords``: the new, edit, create and update pages of a small record known by a
  code and a name (brands, tiers, warehouses); ``handlers()`` makes their four routes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request, get, post
from litestar.di import Provide
from litestar.response import Response
from sqlalchemy import Select, func, select

from qudao.core.catalog.models import Product
from qudao.core.catalog.service import product_by_sku
from qudao.core.errors import InputError, NotFound, QudaoError
from qudao.web.context import RequestContext
from qudao.web.pages.admin.base import back, nul_free, page, page_number, paging, read_form, recover, say
from qudao.web.pages.common import staff_or_login, staff_page


async def paginate(ctx: RequestContext, stmt: Select[Any], p: str | None,
                   *order_by: Any) -> tuple[list[Any], dict[str, int]]:
    """One page (``p``, 1-based, clamped) of ``stmt`` and the paging figures the templates read."""
    total = await ctx.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pg = paging(total, page_number(p))
    rows = (await ctx.session.execute(stmt.order_by(*order_by).limit(pg["size"]).offset(pg["offset"]))).all()
    return list(rows), pg


def sort_order(raw: str | None, columns: dict[str, Any], default: str) -> tuple[str, list[Any]]:
    """``sort=name`` / ``sort=-name`` from the URL against the page's allowed columns (else the default);
    the result is (the key as given, ORDER BY terms), with the first column as a tie-breaker."""
    key = raw if raw and raw.lstrip("-") in columns else default
    column = columns[key.lstrip("-")]
    terms = [column.desc() if key.startswith("-") else column.asc()]
    first = next(iter(columns.values()))
    if first is not column:
        terms.append(first.asc())
    return key, terms


@dataclass(frozen=True)
class ListQuery:
    """The search text ``q``, the page ``p`` and the ``sort`` key of an admin list's URL, NUL-free.

    Every list page reads the same three; declaring them once (``dependencies=LIST_QUERY``) keeps
    their names and their cleaning alike, and the page's own filters stay its own parameters."""

    q: str | None = None
    p: str | None = None
    sort: str | None = None

    async def fetch(self, ctx: RequestContext, stmt: Select[Any], columns: dict[str, Any], default: str,
                    *tie_breakers: Any) -> dict[str, Any]:
        """One page of ``stmt`` in the URL's order (``sort_order`` against ``columns``), as the list
        templates read it: ``rows``, ``pg``, ``q`` (``""`` when absent) and the ``sort`` key in force."""
        sort, order = sort_order(self.sort, columns, default)
        rows, pg = await paginate(ctx, stmt, self.p, *order, *tie_breakers)
        return {"rows": rows, "pg": pg, "q": self.q or "", "sort": sort}


def list_query(q: str | None = None, p: str | None = None, sort: str | None = None) -> ListQuery:
    return ListQuery(nul_free(q), nul_free(p), nul_free(sort))


LIST_QUERY = {"listing": Provide(list_query, sync_to_thread=False)}


async def by_code(ctx: RequestContext, model: Any, code: str, what: str) -> Any:
    row = await ctx.session.scalar(select(model).where(model.code == code))
    if row is None:
        raise NotFound(f"no {what} '{code}'")
    return row


async def code_taken(ctx: RequestContext, model: Any, code: str) -> bool:
    return await ctx.session.scalar(select(model.id).where(model.code == code)) is not None


async def product_page(ctx: RequestContext, sku: str, template: str,
                       facts: Callable[[RequestContext, Product], Awaitable[dict[str, Any]]],
                       status_code: int = 200, **context: Any) -> Response[Any]:
    """``template`` for the product ``sku`` (404 in words if unknown) with what ``facts`` loads for it;
    after a refusal call it once the session is recovered (the rows loaded before are expired)."""
    product = await product_by_sku(ctx.session, sku)
    return page(ctx, template, status_code=status_code, **context, **await facts(ctx, product))


async def product_change(ctx: RequestContext, request: Request, sku: str,
                         change: Callable[[dict[str, str], int], Awaitable[str]],
                         refused: Callable[[QudaoError, dict[str, str]], Awaitable[Response[Any]]],
                         done_path: str, roles: tuple[str, ...] | None = None) -> Response[Any]:
    """A form posted on a product's own page: staff (with one of ``roles``) only, 404 for an unknown
    product; ``change(form, user_id)`` runs in one transaction and gives the flash message for
    ``done_path``; a refusal recovers the session and ``refused(exc, form)`` answers."""
    if (r := staff_or_login(ctx, roles)) is not None:
        return r
    assert ctx.user is not None
    await product_by_sku(ctx.session, sku)
    form = await read_form(request)
    try:
        message = await change(form, ctx.user.id)
        await ctx.session.commit()
    except QudaoError as exc:
        await recover(ctx)
        return await refused(exc, form)
    return back(ctx, done_path, message)


Save = Callable[[RequestContext, Request, str | None], Awaitable[Response[Any]]]


def save_routes(path: str, what: str, save: Save, find: Callable[[Any, str], Awaitable[Any]] | None = None,
                write_roles: tuple[str, ...] | None = None) -> list[Any]:
    """``POST {path}/new`` runs ``save(ctx, request, None)``, ``POST {path}/{code}`` runs
    ``save(ctx, request, code)`` once ``find(session, code)`` (if given) has 404ed an unknown code;
    staff only, with one of ``write_roles`` when given. Route names: ``{what}_create`` / ``_update``."""

    @post(f"{path}/new", name=f"{what}_create")
    @staff_page(write_roles)
    async def create(ctx: RequestContext, request: Request) -> Response[Any]:
        return await save(ctx, request, None)

    @post(f"{path}/{{code:str}}", name=f"{what}_update")
    @staff_page(write_roles)
    async def update(ctx: RequestContext, request: Request, code: str) -> Response[Any]:
        if find is not None:
            await find(ctx.session, code)
        return await save(ctx, request, code)

    return [create, update]


@dataclass(frozen=True)
class CodedRecords:
    """Pages for a code + name record; ``upsert(session, code, {"name": …})`` writes it."""

    model: Any
    what: str                       # in messages: "a brand with code … already exists"
    form_template: str
    key: str                        # the record's name in the form template
    list_path: str                  # where a save goes back to, e.g. "/brands"
    saved: str                      # flash msgid with %(code)s, marked with N_ by the caller
    upsert: Callable[..., Awaitable[Any]]

    async def all(self, ctx: RequestContext) -> list[Any]:
        return list((await ctx.session.scalars(select(self.model).order_by(self.model.code))).all())

    async def new_page(self, ctx: RequestContext) -> Response[Any]:
        return page(ctx, self.form_template, **{self.key: None})

    async def edit_page(self, ctx: RequestContext, code: str) -> Response[Any]:
        row = await by_code(ctx, self.model, code, self.what)
        return page(ctx, self.form_template, form={"code": row.code, "name": row.name}, **{self.key: row})

    async def save(self, ctx: RequestContext, request: Request, code: str | None) -> Response[Any]:
        """Create (``code`` None: read from the form) or update; a refusal re-renders the form (422)."""
        if code is not None:
            await by_code(ctx, self.model, code, self.what)
        form = await read_form(request)
        creating = code is None
        code = str(form.get("code") or "").strip() if code is None else code
        try:
            if creating and await code_taken(ctx, self.model, code):
                raise InputError(f"a {self.what} with code '{code}' already exists", field="code")
            await self.upsert(ctx.session, code, {"name": form.get("name")})
            await ctx.session.commit()
        except InputError as exc:
            await recover(ctx)
            row = None if creating else await by_code(ctx, self.model, code, self.what)
            return page(ctx, self.form_template, status_code=422, form=form, errors=exc.errors, **{self.key: row})
        return back(ctx, self.list_path, say(ctx, self.saved, code=code))

    def handlers(self, path: str, write_roles: tuple[str, ...] | None = None) -> list[Any]:
        """``GET/POST {path}/new`` and ``GET/POST {path}/{code}``; staff only, writes need ``write_roles``."""

        @get(f"{path}/new", name=f"{self.what}_new")
        @staff_page()
        async def new(ctx: RequestContext) -> Response[Any]:
            return await self.new_page(ctx)

        @get(f"{path}/{{code:str}}", name=f"{self.what}_edit")
        @staff_page()
        async def edit(ctx: RequestContext, code: str) -> Response[Any]:
            return await self.edit_page(ctx, code)

        return [new, edit, *save_routes(path, self.what, self.save, write_roles=write_roles)]
