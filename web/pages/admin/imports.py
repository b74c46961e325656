"""Admin: import products, customers and prices from .xlsx/CSV (all-or-nothing, errors by row
and column), export them, and download example files."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Response
from sqlalchemy import select

from qudao.core import imports as catalog_io
from qudao.core.errors import InputError, NotFound
from qudao.web.context import RequestContext
from qudao.web.pages.admin.base import checkbox, page, recover
from qudao.web.pages.common import staff_or_login, staff_page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(data: bytes, filename: str, fmt: str) -> Response[bytes]:
    media = XLSX if fmt == "xlsx" else "text/csv; charset=utf-8"
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _fmt(value: str | None) -> str:
    return "csv" if value == "csv" else "xlsx"


@get("/admin/imports")
@staff_page()
async def imports_page(ctx: RequestContext) -> Response[Any]:
    return page(ctx, "admin/imports.html", kinds=catalog_io.KINDS, columns=catalog_io.COLUMNS, result=None)


@post("/admin/imports/{kind:str}")
@staff_page()
async def import_upload(ctx: RequestContext, request: Request, kind: str) -> Response[Any]:
    """Validate every row; store all rows or none. ``dry_run`` only validates."""
    assert ctx.user is not None
    if kind not in catalog_io.KINDS:
        raise NotFound(f"nothing to import as '{kind}'")
    form = await request.form()
    upload = form.get("file")
    dry_run = checkbox({k: v for k, v in form.items() if isinstance(v, str)}, "dry_run")
    result = None
    errors: list[dict[str, str]] = []
    try:
        if not isinstance(upload, UploadFile):
            raise InputError("choose a file to import", field="file")
        data = await upload.read()
        if checkbox({k: v for k, v in form.items() if isinstance(v, str)}, "background") \
                or len(data) > catalog_io.BACKGROUND_BYTES:
            await ctx.session.execute(select(1))
            job_id = catalog_io.queue_import(ctx.session, ctx.tenant.id, kind, upload.filename, data,
                                             user_id=ctx.user.id, dry_run=dry_run)
            await ctx.session.commit()
            return Redirect(f"/t/{ctx.tenant.slug}/admin/imports/jobs/{job_id}")
        result = await catalog_io.import_file(ctx.session, kind, upload.filename, data,
                                              currency=ctx.tenant.currency, user_id=ctx.user.id)
        if result.ok and not dry_run:
            await ctx.session.commit()
        else:
            await recover(ctx)
    except InputError as exc:
        await recover(ctx)
        errors = exc.errors
    status = 422 if errors or (result is not None and not result.ok) else 200
    return page(ctx, "admin/imports.html", status_code=status, kinds=catalog_io.KINDS, columns=catalog_io.COLUMNS,
                result=result, dry_run=dry_run, errors=errors, kind=kind)


async def _table_file(ctx: RequestContext, kind: str, format: str | None, *, template: bool) -> Response[Any]:  # noqa: A002
    """The ``kind`` table (products, prices, …) as an .xlsx or .csv download: this brand's rows (an
    export), or with ``template`` the columns and an example row to fill in for an import."""
    if (r := staff_or_login(ctx)) is not None:
        return r
    if kind not in catalog_io.KINDS:
        raise NotFound(f"no template for '{kind}'" if template else f"nothing to export as '{kind}'")
    fmt = _fmt(format)
    if template:
        columns, rows = catalog_io.template_rows(kind)
        filename = f"{kind}-template.{fmt}"
    else:
        columns, rows = await catalog_io.export_rows(ctx.session, kind, ctx.tenant.currency)
        filename = f"{ctx.tenant.slug}-{kind}.{fmt}"
    data = catalog_io.to_xlsx(columns, rows, kind) if fmt == "xlsx" else catalog_io.to_csv(columns, rows)
    return download(data, filename, fmt)


@get("/admin/exports/{kind:str}")
async def export(ctx: RequestContext, kind: str, format: str | None = None) -> Response[Any]:  # noqa: A002
    return await _table_file(ctx, kind, format, template=False)


@get("/admin/imports/template/{kind:str}")
async def import_template(ctx: RequestContext, kind: str, format: str | None = None) -> Response[Any]:  # noqa: A002
    return await _table_file(ctx, kind, format, template=True)


@get("/admin/imports/jobs/{job_id:str}")
@staff_page()
async def import_job(ctx: RequestContext, job_id: str) -> Response[Any]:
    """Progress of a background import; the page polls itself (HTMX) until the job is done."""
    status = catalog_io.read_status(ctx.tenant.id, job_id)
    if status is None:
        raise NotFound("no such import")
    result = None
    if status.get("result"):
        raw = status["result"]
        result = catalog_io.ImportResult(raw["kind"], raw["rows"], raw["created"], raw["updated"], raw["errors"],
                                         raw.get("more_errors", 0))
    total = status.get("total") or 0
    percent = int(100 * (status.get("done") or 0) / total) if total else (100 if status["state"] == "done" else 0)
    return page(ctx, "admin/import_job.html", status_code=422 if result is not None and not result.ok else 200,
                job_id=job_id, status=status, result=result, percent=percent, dry_run=status.get("dry_run"))


HANDLERS = [imports_page, import_upload, export, import_template, import_job]
