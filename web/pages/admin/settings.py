"""Admin: ordering rules (minimum amount and quantity, daily order window), as ``PUT /settings/ordering``."""

from __future__ import annotations

import copy
from typing import Any

from litestar import Request, get, post
from litestar.response import Response

from qudao.core.errors import InputError
from qudao.core.orders.rules import ordering_view, parse_ordering
from qudao.tenants.models import Tenant
from qudao.web.context import RequestContext
from qudao.web.pages.admin.base import N_, back, checkbox, page, read_form, recover, say
from qudao.web.pages.common import staff_page
from qudao.web.pages.store.browse import VISITOR_MODES

ADMINS = ("owner", "admin")


def _form_of(rules: dict[str, Any], count_in_transit: bool) -> dict[str, Any]:
    window = rules.get("order_window") or {}
    return {"min_order_amount": rules.get("min_order_amount") or "",
            "min_order_qty": "" if rules.get("min_order_qty") is None else rules.get("min_order_qty"),
            "window_start": window.get("start", ""), "window_end": window.get("end", ""),
            "count_in_transit": count_in_transit}


def _visitors(value: Any) -> str:
    return value if value in VISITOR_MODES else "hidden"


def ordering_body(form: dict[str, Any]) -> dict[str, Any]:
    """The form as the API body parse_ordering reads (empty = no rule)."""
    amount = str(form.get("min_order_amount") or "").strip()
    qty = str(form.get("min_order_qty") or "").strip()
    start = str(form.get("window_start") or "").strip()
    end = str(form.get("window_end") or "").strip()
    body: dict[str, Any] = {"min_order_amount": amount or None}
    body["min_order_qty"] = None if not qty else (int(qty) if qty.isdigit() else qty)
    body["order_window"] = None if not start and not end else {"start": start, "end": end}
    return body


@get("/admin/settings")
@staff_page()
async def settings_page(ctx: RequestContext) -> Response[Any]:
    rules = ordering_view(ctx.tenant.setting("ordering", default={}) or {})
    form = {**_form_of(rules, bool(ctx.tenant.setting("count_in_transit"))),
            "storefront_visitors": _visitors(ctx.tenant.setting("storefront_visitors"))}
    return page(ctx, "admin/settings.html", form=form,
                can_edit=ctx.user is not None and ctx.user.role in ADMINS)


@post("/admin/settings")
@staff_page(ADMINS)
async def settings_save(ctx: RequestContext, request: Request) -> Response[Any]:
    form = await read_form(request)
    tenant = await ctx.session.get(Tenant, ctx.tenant.id)
    assert tenant is not None
    try:
        settings = copy.deepcopy(tenant.settings or {})
        settings["ordering"] = parse_ordering(ordering_body(form), tenant.currency, settings.get("ordering") or {})
        settings["count_in_transit"] = checkbox(form, "count_in_transit")
        settings["storefront_visitors"] = _visitors(form.get("storefront_visitors"))
        tenant.settings = settings
        await ctx.session.commit()
    except InputError as exc:
        await recover(ctx)
        errors = [{"field": {"order_window.start": "window_start", "order_window.end": "window_end"}
                   .get(e["field"], e["field"]), "message": e["message"]} for e in exc.errors]
        return page(ctx, "admin/settings.html", status_code=422, form={**form, "count_in_transit":
                                                                       checkbox(form, "count_in_transit")},
                    errors=errors, can_edit=True)
    return back(ctx, "/settings", say(ctx, N_("Ordering rules saved")))


HANDLERS = [settings_page, settings_save]
