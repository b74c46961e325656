"""Admin: channel customers (list, tree, form, buyer logins) and tiers."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Response
from sqlalchemy import func, or_, select

from qudao.core.auth.models import User
from qudao.core.customers.models import CUSTOMER_TYPES, Customer, Tier
from qudao.core.customers.scope import customer_criteria, is_sales_rep
from qudao.core.customers.service import customer_by_code, upsert_buyer, upsert_customer, upsert_tier
from qudao.core.errors import InputError, NotFound, QudaoError
from qudao.core.inventory.models import Warehouse
from qudao.core.inventory.service import brand_owned
from qudao.web.context import RequestContext
from qudao.web.pages.admin.base import N_, back, nul_free, page, read_form, recover, say
from qudao.web.pages.admin.crud import LIST_QUERY, CodedRecords, ListQuery, code_taken, save_routes
from qudao.web.pages.common import staff_page

TIERS = CodedRecords(Tier, "tier", "admin/tier_form.html", "tier", "/tiers", N_("Saved tier %(code)s"), upsert_tier)
TYPE_LABELS = {"l1_distributor": "L1 distributor", "l2_distributor": "L2 distributor", "store": "Store",
               "key_account": "Key account"}


async def _options(ctx: RequestContext) -> dict[str, Any]:
    s = ctx.session
    tiers = (await s.scalars(select(Tier).order_by(Tier.code))).all()
    warehouses = (await s.scalars(select(Warehouse).where(brand_owned()).order_by(Warehouse.code))).all()
    return {
        "tier_opts": [("", "—"), *((t.code, f"{t.code} · {t.name}") for t in tiers)],
        "warehouse_opts": [("", "—"), *((w.code, f"{w.code} · {w.name}") for w in warehouses)],
        "type_opts": [(t, TYPE_LABELS[t]) for t in CUSTOMER_TYPES],
        "status_opts": [("active", "Active"), ("suspended", "Suspended")],
    }


@get("/admin/customers", dependencies=LIST_QUERY)
@staff_page()
async def customer_list(ctx: RequestContext, listing: ListQuery, status: str | None = None) -> Response[Any]:
    status = nul_free(status)
    parent = Customer.__table__.alias("parent")
    tier = Tier.__table__.alias("tier")
    stmt = (select(Customer, parent.c.code, tier.c.code)
            .outerjoin(parent, (parent.c.id == Customer.parent_id) & (parent.c.tenant_id == Customer.tenant_id))
            .outerjoin(tier, (tier.c.id == Customer.tier_id) & (tier.c.tenant_id == Customer.tenant_id))
            .where(parent.c.tenant_id.is_(None) | (parent.c.tenant_id == ctx.tenant.id))
            .where(tier.c.tenant_id.is_(None) | (tier.c.tenant_id == ctx.tenant.id))
            .where(*customer_criteria(ctx)))
    if listing.q and listing.q.strip():
        needle = f"%{listing.q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Customer.code).like(needle), func.lower(Customer.name).like(needle),
                              func.lower(Customer.region).like(needle)))
    if status in ("active", "suspended"):
        stmt = stmt.where(Customer.status == status)
    found = await listing.fetch(ctx, stmt, {"code": Customer.code, "name": Customer.name,
                                            "region": Customer.region, "type": Customer.type}, "code")
    return page(ctx, "admin/customers.html", **found, types=TYPE_LABELS, status=status or "")


@get("/admin/customers/tree")
@staff_page()
async def customer_tree(ctx: RequestContext) -> Response[Any]:
    rows = (await ctx.session.execute(select(Customer.id, Customer.code, Customer.name, Customer.parent_id,
                                             Customer.type, Customer.status).where(*customer_criteria(ctx))
                                      .order_by(Customer.code)
                                      .limit(20000))).all()
    children: dict[int | None, list[dict[str, Any]]] = {}
    ids = {r.id for r in rows}
    nodes = {r.id: {"code": r.code, "name": r.name, "type": r.type, "status": r.status, "children": []}
             for r in rows}
    for r in rows:
        key = r.parent_id if r.parent_id in ids else None
        children.setdefault(key, []).append(nodes[r.id])
    for r in rows:
        nodes[r.id]["children"] = children.get(r.id, [])
    return page(ctx, "admin/customer_tree.html", roots=children.get(None, []), types=TYPE_LABELS)


async def _form_values(ctx: RequestContext, c: Customer) -> dict[str, Any]:
    async def code_of(model: Any, id_: int | None) -> str:
        row = await ctx.session.get(model, (ctx.tenant.id, id_)) if id_ is not None else None
        return row.code if row else ""

    return {"code": c.code, "name": c.name, "type": c.type, "tier": await code_of(Tier, c.tier_id),
            "parent": await code_of(Customer, c.parent_id), "region": c.region or "",
            "warehouse": await code_of(Warehouse, c.warehouse_id), "status": c.status,
            "groups": ", ".join(c.groups or []), "addresses": addresses_text(c.addresses or []),
            "can_resell": bool(c.can_resell), "direct_from_brand": bool(c.direct_from_brand)}


def addresses_text(addresses: list[Any]) -> str:
    """One address per line: 'contact | phone | address' (or just the address)."""
    lines = []
    for a in addresses:
        if isinstance(a, str):
            lines.append(a)
        elif isinstance(a, dict):
            parts = [a.get("contact") or "", a.get("phone") or "", a.get("address") or ""]
            lines.append(" | ".join(parts) if parts[0] or parts[1] else parts[2])
    return "\n".join(lines)


def addresses_from_text(text: str) -> list[dict[str, str]]:
    out = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) >= 3:
            out.append({"contact": parts[0], "phone": parts[1], "address": " | ".join(parts[2:])})
        else:
            out.append({"address": line.strip()})
    return out


async def _customer_page(ctx: RequestContext, customer: Customer | None, form: dict[str, Any], *,
                         errors: list[dict[str, str]] | None = None, status_code: int = 200,
                         login_form: dict[str, Any] | None = None,
                         login_errors: list[dict[str, str]] | None = None) -> Response[Any]:
    logins: list[User] = []
    kids: list[Customer] = []
    if customer is not None:
        logins = list((await ctx.session.scalars(select(User).where(User.kind == "customer",
                                                                    User.customer_id == customer.id)
                                                 .order_by(User.email))).all())
        kids = list((await ctx.session.scalars(select(Customer).where(Customer.parent_id == customer.id)
                                               .order_by(Customer.code))).all())
    return page(ctx, "admin/customer_form.html", status_code=status_code, customer=customer, form=form,
                errors=errors or [], logins=logins, kids=kids, login_form=login_form or {},
                login_errors=login_errors or [], **await _options(ctx))


@get("/admin/customers/new")
@staff_page()
async def customer_new(ctx: RequestContext) -> Response[Any]:
    return await _customer_page(ctx, None, {"type": "store", "status": "active"})


@get("/admin/customers/{code:str}")
@staff_page()
async def customer_edit(ctx: RequestContext, code: str) -> Response[Any]:
    customer = await customer_by_code(ctx.session, code)
    if is_sales_rep(ctx) and customer.sales_rep_id != ctx.user.id:  # type: ignore[union-attr]
        raise NotFound(f"no customer with code '{code}'")
    return await _customer_page(ctx, customer, await _form_values(ctx, customer))


async def _save(ctx: RequestContext, request: Request, code: str | None) -> Response[Any]:
    form = await read_form(request)
    creating = code is None
    code = (form.get("code") or "").strip() if code is None else code
    data: dict[str, Any] = {k: form.get(k, "") for k in ("name", "type", "tier", "parent", "region", "warehouse",
                                                          "status")}
    if "groups" in form:
        data["groups"] = [g.strip() for g in form["groups"].replace("，", ",").split(",") if g.strip()]
    if "addresses" in form:
        data["addresses"] = addresses_from_text(form["addresses"])
    for flag in ("can_resell", "direct_from_brand"):  # channel levels (core/channels)
        if flag in form:
            data[flag] = form[flag] == "true"
    try:
        if creating and await code_taken(ctx, Customer, code):
            raise InputError(f"a customer with code '{code}' already exists", field="code")
        if not creating and not str(data.get("name") or "").strip():
            raise InputError("is required", field="name")
        customer, _ = await upsert_customer(ctx.session, code, data)
        await ctx.session.commit()
    except InputError as exc:
        await recover(ctx)
        existing = None if creating else await customer_by_code(ctx.session, code)
        errors = [{"field": "addresses" if e["field"].startswith("addresses[") else e["field"],
                   "message": e["message"]} for e in exc.errors]
        return await _customer_page(ctx, existing, form, errors=errors, status_code=422)
    return back(ctx, f"/customers/{customer.code}", say(ctx, N_("Saved %(code)s"), code=customer.code))


@post("/admin/customers/{code:str}/users")
@staff_page()
async def customer_login_add(ctx: RequestContext, request: Request, code: str) -> Response[Any]:
    """Add a buyer login (or reset its password) for the customer."""
    customer = await customer_by_code(ctx.session, code)
    form = await read_form(request)
    try:
        data: dict[str, Any] = {"password": form.get("password", "")}
        if form.get("name", "").strip():
            data["name"] = form["name"].strip()
        user, created = await upsert_buyer(ctx.session, code, form.get("email", ""), data)
        email = user.email
        await ctx.session.commit()
    except QudaoError as exc:
        await recover(ctx)
        customer = await customer_by_code(ctx.session, code)
        errors = exc.errors if isinstance(exc, InputError) else [{"field": "email", "message": exc.detail}]
        return await _customer_page(ctx, customer, await _form_values(ctx, customer), status_code=422,
                                    login_form={"email": form.get("email"), "name": form.get("name")},
                                    login_errors=errors)
    del customer
    return back(ctx, f"/customers/{code}", say(ctx, N_("Login %(email)s added") if created else N_("Login %(email)s updated"), email=email))


@get("/admin/tiers")
@staff_page()
async def tier_list(ctx: RequestContext) -> Response[Any]:
    tiers = await TIERS.all(ctx)
    counts = dict((await ctx.session.execute(select(Customer.tier_id, func.count()).group_by(Customer.tier_id))).all())
    return page(ctx, "admin/tiers.html", tiers=tiers, counts=counts)


HANDLERS = [customer_list, customer_tree, customer_new, customer_edit,
            *save_routes("/admin/customers", "customer", _save, customer_by_code),
            customer_login_add, tier_list, *TIERS.handlers("/admin/tiers")]
