"""Helpers shared by the admin back-office pages (no routes here).

* ``page()`` renders with the tenant-local time formatter, paging helpers and a
  flash message taken from the query string (post/redirect/get).
* ``back()`` redirects to a page of this tenant with a flash message.
* ``recover()`` rolls the session back and re-loads what the templates read
  (the rollback expires every loaded object; in async code a lazy reload fails).
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar.response import Redirect, Template

from qudao.core.errors import InputError
from qudao.core.money import quantize
from qudao.web.context import RequestContext
from qudao.web.pages.common import render

PAGE_SIZE = 50


def local_time(ctx: RequestContext, tz: str) -> Any:
    zone = ZoneInfo(tz)

    def fmt(value: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
        if value is None:
            return ""
        return value.astimezone(zone).strftime(pattern)

    return fmt


def page(ctx: RequestContext, template: str, status_code: int = 200, **context: Any) -> Template:
    request = ctx.request
    assert request is not None
    params = request.query_params
    flash = context.pop("flash", None) or (str(params.get("msg"))[:300] if params.get("msg") else None)
    kind = context.pop("flash_kind", None) or ("error" if params.get("err") else "ok")
    context.setdefault("errors", [])
    context.setdefault("form", {})
    return render(ctx, template, status_code=status_code, flash=flash, flash_kind=kind, url_with=url_with(ctx),
                  local=local_time(ctx, ctx.tenant.timezone), admin=f"/t/{ctx.tenant.slug}/admin",
                  currency=ctx.tenant.currency, money=money_fmt(ctx.tenant.currency), field_errors=field_errors(context["errors"]), **context)


def url_with(ctx: RequestContext) -> Any:
    """``url_with(sort="-total", p=None)``: this page's URL with some query values changed or
    dropped, so sorting and paging keep the filters (flash messages are left out)."""
    request = ctx.request
    assert request is not None
    current = {k: v for k, v in request.query_params.items() if k not in ("msg", "err")}

    def build(**changes: Any) -> str:
        params = dict(current)
        for key, value in changes.items():
            if value is None or value == "":
                params.pop(key, None)
            else:
                params[key] = str(value)
        return request.url.path + (f"?{urlencode(params)}" if params else "")

    return build


def money_fmt(currency: str) -> Any:
    def fmt(value: Any) -> str:
        if value is None or value == "":
            return ""
        try:
            return str(quantize(Decimal(str(value)), currency))
        except (InvalidOperation, ValueError):
            return str(value)

    return fmt


def N_(message: str) -> str:  # noqa: N802 - the gettext "no-op" marker the extractor knows
    return message


def say(ctx: RequestContext, message: str, **values: Any) -> str:
    """A translated flash message in the visitor's language (mark the msgid with ``N_``)."""
    from qudao.web import i18n
    from qudao.web.pages.common import locale_for

    if ctx.request is not None:
        i18n.set_locale(locale_for(ctx.request, ctx))
    text = i18n.gettext_(message)
    return text % values if values else text


def field_errors(errors: list[dict[str, str]] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in errors or []:
        out.setdefault(e.get("field", ""), e.get("message", ""))
    return out


def back(ctx: RequestContext, path: str, message: str | None = None, *, error: bool = False,
         **query: Any) -> Redirect:
    """Redirect to ``/t/{slug}/admin{path}`` with an optional flash message."""
    params = {k: v for k, v in query.items() if v not in (None, "")}
    if message:
        params["msg"] = message
    if error:
        params["err"] = "1"
    url = f"/t/{ctx.tenant.slug}/admin{path}"
    if params:
        url += ("&" if "?" in url else "?") + urlencode(params)
    return Redirect(url)


def safe_back(ctx: RequestContext, value: Any, default: str) -> str:
    """A ``back`` path from a form: only admin paths of this tenant."""
    if isinstance(value, str) and value.startswith("/") and "//" not in value and "\\" not in value \
            and len(value) < 300 and not value.startswith("/t/"):
        return value
    return default


async def recover(ctx: RequestContext) -> None:
    """Roll back and reload what pages read after a failed unit of work."""
    await ctx.session.rollback()
    await ctx.session.refresh(ctx.tenant)
    if ctx.user is not None:
        await ctx.session.refresh(ctx.user)


def paging(total: int, page_no: int, size: int = PAGE_SIZE) -> dict[str, int]:
    pages = max(1, math.ceil(total / size))
    current = min(max(1, page_no), pages)
    return {"page": current, "pages": pages, "total": total, "offset": (current - 1) * size, "size": size}


def page_number(raw: Any) -> int:
    try:
        return max(1, min(int(raw), 1_000_000))
    except (TypeError, ValueError):
        return 1


def checkbox(form: dict[str, Any], name: str) -> bool:
    return str(form.get(name, "")).lower() in ("on", "true", "1", "yes")


def clean(form: dict[str, Any], *, drop_empty: tuple[str, ...] = ()) -> dict[str, Any]:
    """Form values as text; the named fields are left out when empty (= unchanged)."""
    out: dict[str, Any] = {}
    for key, value in form.items():
        if not isinstance(value, str):
            continue
        if key in drop_empty and not value.strip():
            continue
        out[key] = value
    return out


def nul_free(value: str | None) -> str | None:
    """PostgreSQL cannot store NUL characters in text; they never reach a query."""
    return value.replace("\x00", "") if isinstance(value, str) else value


async def read_form(request: Any) -> dict[str, str]:
    """A submitted form's text fields (last value wins), without the CSRF token or NULs."""
    form = await request.form()
    return {k.replace("\x00", ""): v.replace("\x00", "") for k, v in form.items()
            if isinstance(v, str) and k != "_csrf_token"}


def input_error(field: str, message: str) -> InputError:
    return InputError([{"field": field, "message": message}])
