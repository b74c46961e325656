"""Storefront: "apply to become a customer" (a visitor's form; staff review it in the admin)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Response

from qudao.core.customers.applications import submit
from qudao.core.errors import Conflict, InputError
from qudao.web.context import RequestContext
from qudao.web.pages.admin.base import field_errors, read_form
from qudao.web.pages.store.base import page, rollback, use_locale

FIELDS = ("company", "contact", "phone", "email", "region", "address", "note")


@get("/apply")
async def apply_form(ctx: RequestContext) -> Response[Any]:
    use_locale(ctx)
    return await page(ctx, "store/apply.html", form={}, errors=[], field_errors={}, sent=False)


@post("/apply")
async def apply_submit(ctx: RequestContext, request: Request) -> Response[Any]:
    use_locale(ctx)
    form = await read_form(request)
    if form.get("website"):  # a field people never see: filled in, it is a robot
        return await page(ctx, "store/apply.html", form={}, errors=[], field_errors={}, sent=True)
    errors: list[dict[str, str]] = []
    try:
        await submit(ctx.session, form)
        await ctx.session.commit()
    except InputError as exc:
        errors = exc.errors
    except Conflict as exc:
        errors = [{"field": "", "message": exc.detail}]
    if errors:
        await rollback(ctx)
        kept = {k: form.get(k, "") for k in FIELDS}
        return await page(ctx, "store/apply.html", status_code=422, form=kept, errors=errors,
                          field_errors=field_errors(errors), sent=False)
    return await page(ctx, "store/apply.html", form={}, errors=[], field_errors={}, sent=True)


HANDLERS = [apply_form, apply_submit]
