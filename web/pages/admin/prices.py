"""Admin: price changes, bulk tier price editor, prices per product and the price checker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, get, post
from litestar.response import Response
from sqlalchemy import select

from qudao.core.auth.models import User
from qudao.core.catalog.models import Brand, Product
from qudao.core.catalog.service import search_filter
from qudao.core.customers.models import CUSTOMER_TYPES, Customer, Tier
from qudao.core.errors import InputError, NotFound, QudaoError
from qudao.core.pricing.bulk import (
    bulk_customer_prices,
    bulk_tier_prices,
    changed_only,
    remove_customer_price,
)
from qudao.core.pricing.checker import check_price, parse_day, parse_qty
from qudao.core.pricing.forms import form_errors as policy_form_errors
from qudao.core.pricing.forms import iso_to_local, policy_body_from_form
from qudao.core.pricing.models import CustomerPrice, PriceChange, PricePolicy, TierPrice
from qudao.core.pricing.policies import (
    LIST_FIELDS,
    delete_policy,
    list_policies,
    policy_by_code,
    snapshot,
    upsert_policy,
)
from qudao.web.context import RequestContext
from qudao.web.pages.admin.base import N_, back, checkbox, nul_free, page, read_form, recover, say
from qudao.web.pages.admin.crud import (
    by_code,
    code_taken,
    paginate,
    product_change,
    product_page,
    save_routes,
)
from qudao.web.pages.common import staff_page


async def _tiers(ctx: RequestContext) -> list[Tier]:
    return list((await ctx.session.scalars(select(Tier).order_by(Tier.code))).all())


@get("/admin/prices")
@staff_page()
async def prices_home(ctx: RequestContext) -> Response[Any]:
    changes = (await ctx.session.execute(
        select(PriceChange, User.email).outerjoin(
            User, (User.id == PriceChange.changed_by) & (User.tenant_id == PriceChange.tenant_id))
        .order_by(PriceChange.changed_at.desc(), PriceChange.id.desc()).limit(50))).all()
    return page(ctx, "admin/prices.html", tiers=await _tiers(ctx), changes=changes)


async def _tier_or_404(ctx: RequestContext, code: str) -> Tier:
    return await by_code(ctx, Tier, code, "tier")


async def _tier_rows(ctx: RequestContext, tier: Tier, q: str | None, brand: str | None,
                     p: str | None) -> tuple[list[Any], dict[str, int]]:
    stmt = select(Product, TierPrice.price).outerjoin(
        TierPrice, (TierPrice.product_id == Product.id) & (TierPrice.tenant_id == Product.tenant_id)
        & (TierPrice.tier_id == tier.id))
    if q and q.strip():
        stmt = stmt.where(search_filter(q))
    if brand:
        stmt = stmt.join(Brand, (Brand.id == Product.brand_id) & (Brand.tenant_id == Product.tenant_id)) \
            .where(Brand.code == brand)
    return await paginate(ctx, stmt, p, Product.sku)


@get("/admin/prices/tier/{code:str}")
@staff_page()
async def tier_prices(ctx: RequestContext, code: str, q: str | None = None, brand: str | None = None,
                      p: str | None = None) -> Response[Any]:
    q, brand, p = nul_free(q), nul_free(brand), nul_free(p)
    tier = await _tier_or_404(ctx, code)
    rows, pg = await _tier_rows(ctx, tier, q, brand, p)
    return page(ctx, "admin/tier_prices.html", tier=tier, rows=rows, pg=pg, q=q or "", brand=brand or "",
                submitted={})


@post("/admin/prices/tier/{code:str}")
@staff_page()
async def tier_prices_save(ctx: RequestContext, request: Request, code: str, q: str | None = None,
                           brand: str | None = None, p: str | None = None) -> Response[Any]:
    """One submit for the whole table; all-or-nothing, errors shown on their rows."""
    q, brand, p = nul_free(q), nul_free(brand), nul_free(p)
    assert ctx.user is not None
    tier = await _tier_or_404(ctx, code)
    form = await read_form(request)
    submitted = {k[6:-1]: v for k, v in form.items() if k.startswith("price[") and k.endswith("]")}
    current = {k[8:-1]: v for k, v in form.items() if k.startswith("current[") and k.endswith("]")}
    try:
        changed = await bulk_tier_prices(ctx.session, code, changed_only(current, submitted),
                                         currency=ctx.tenant.currency, user_id=ctx.user.id)
        await ctx.session.commit()
    except InputError as exc:
        await recover(ctx)
        tier = await _tier_or_404(ctx, code)
        rows, pg = await _tier_rows(ctx, tier, q, brand, p)
        return page(ctx, "admin/tier_prices.html", status_code=422, tier=tier, rows=rows, pg=pg, q=q or "",
                    brand=brand or "", submitted=submitted, errors=exc.errors,
                    flash=say(ctx, N_("Nothing was saved: fix the marked rows.")), flash_kind="error")
    return back(ctx, f"/prices/tier/{code}", say(ctx, N_("%(n)s price(s) saved"), n=changed), q=q, brand=brand, p=p)


async def _product_prices(ctx: RequestContext, product: Product) -> dict[str, Any]:
    tiers = (await ctx.session.execute(select(Tier, TierPrice.price).outerjoin(
        TierPrice, (TierPrice.tier_id == Tier.id) & (TierPrice.tenant_id == Tier.tenant_id)
        & (TierPrice.product_id == product.id)).order_by(Tier.code))).all()
    customers = (await ctx.session.execute(select(Customer, CustomerPrice.price).join(
        CustomerPrice, (CustomerPrice.customer_id == Customer.id) & (CustomerPrice.tenant_id == Customer.tenant_id))
        .where(CustomerPrice.product_id == product.id).order_by(Customer.code))).all()
    history = (await ctx.session.scalars(select(PriceChange).where(PriceChange.sku == product.sku)
                                         .order_by(PriceChange.changed_at.desc(), PriceChange.id.desc())
                                         .limit(50))).all()
    return {"product": product, "tier_rows": tiers, "customer_rows": customers, "history": history}


@get("/admin/prices/product/{sku:str}")
@staff_page()
async def product_prices(ctx: RequestContext, sku: str) -> Response[Any]:
    return await product_page(ctx, sku, "admin/product_prices.html", _product_prices, submitted={}, cform={})


async def _price_change(ctx: RequestContext, request: Request, sku: str,
                        change: Callable[[dict[str, str], int], Awaitable[str]], field: str,
                        shown: Callable[[dict[str, str]], dict[str, Any]]) -> Response[Any]:
    """Run one price change posted on a product's prices page; a refusal shows that page again (422)
    with the errors (core's other refusals next to ``field``) and ``shown(form)`` in its forms."""
    async def refused(exc: QudaoError, form: dict[str, str]) -> Response[Any]:
        errs = exc.errors if isinstance(exc, InputError) else [{"field": field, "message": exc.detail}]
        return await product_page(ctx, sku, "admin/product_prices.html", _product_prices, status_code=422,
                                  errors=errs, **shown(form))

    return await product_change(ctx, request, sku, change, refused, f"/prices/product/{sku}")


def _tier_fields(form: dict[str, str], prefix: str) -> dict[str, str]:
    """``{prefix}[code]`` form fields by tier code."""
    n = len(prefix) + 1
    return {k[n:-1]: v for k, v in form.items() if k.startswith(f"{prefix}[") and k.endswith("]")}


@post("/admin/prices/product/{sku:str}/tiers")
async def product_tier_prices_save(ctx: RequestContext, request: Request, sku: str) -> Response[Any]:
    async def change(form: dict[str, str], user_id: int) -> str:
        errors: list[dict[str, str]] = []
        for tier_code, raw in changed_only(_tier_fields(form, "current"), _tier_fields(form, "tier")).items():
            try:
                await bulk_tier_prices(ctx.session, tier_code, {sku: raw}, currency=ctx.tenant.currency,
                                       user_id=user_id)
            except InputError as exc:
                errors.extend({"field": f"tier[{tier_code}]", "message": e["message"]} for e in exc.errors)
        if errors:
            raise InputError(errors)
        return say(ctx, N_("Tier prices saved"))

    return await _price_change(ctx, request, sku, change, "tier",
                               lambda form: {"submitted": _tier_fields(form, "tier"), "cform": {}})


@post("/admin/prices/product/{sku:str}/customer")
async def product_customer_price_save(ctx: RequestContext, request: Request, sku: str) -> Response[Any]:
    async def change(form: dict[str, str], user_id: int) -> str:
        code = form.get("customer", "").strip()
        if not code:
            raise InputError("is required", field="customer")
        if not form.get("price", "").strip():
            raise InputError("is required", field="price")
        await bulk_customer_prices(ctx.session, [(code, sku, form.get("price", ""))],
                                   currency=ctx.tenant.currency, user_id=user_id)
        return say(ctx, N_("Customer price for %(code)s saved"), code=code)

    return await _price_change(ctx, request, sku, change, "customer", lambda form: {"submitted": {}, "cform": form})


@post("/admin/prices/product/{sku:str}/customer/{code:str}/delete")
@staff_page()
async def product_customer_price_delete(ctx: RequestContext, sku: str, code: str) -> Response[Any]:
    assert ctx.user is not None
    await remove_customer_price(ctx.session, code, sku, user_id=ctx.user.id)
    await ctx.session.commit()
    return back(ctx, f"/prices/product/{sku}", say(ctx, N_("Customer price for %(code)s removed"), code=code))


@get("/admin/prices/check")
@staff_page()
async def price_check(ctx: RequestContext, customer: str | None = None, sku: str | None = None,
                      date: str | None = None, qty: str | None = None) -> Response[Any]:
    """Customer X + SKU Y (+ date D) → price and which rule set it."""
    customer, sku, date, qty = nul_free(customer), nul_free(sku), nul_free(date), nul_free(qty)
    form = {"customer": customer or "", "sku": sku or "", "date": date or "", "qty": qty or ""}
    answer = found = None
    errors: list[dict[str, str]] = []
    status = 200
    if customer or sku:
        try:
            day = parse_day(date, ctx.tenant.timezone)
            n = parse_qty(qty)
            found, answer = await check_price(ctx.session, customer or "", sku or "", day, qty=n,
                                              tz=ctx.tenant.timezone, currency=ctx.tenant.currency)
        except InputError as exc:
            errors, status = exc.errors, 422
        except NotFound as exc:
            field = "sku" if "SKU" in exc.detail else "customer"
            errors, status = [{"field": field, "message": exc.detail}], 422
    return page(ctx, "admin/price_check.html", status_code=status, form=form, answer=answer, found=found,
                errors=errors)


def _policy_form(policy: Any, tz: str) -> dict[str, Any]:
    return {"code": policy.code, "name": policy.name, "priority": policy.priority,
            "valid_from": iso_to_local(policy.valid_from, tz), "valid_until": iso_to_local(policy.valid_until, tz),
            **{k: ", ".join(getattr(policy, k) or []) for k in LIST_FIELDS},
            "mode": "percent" if policy.percent is not None else "price",
            "amount": "" if (policy.percent if policy.percent is not None else policy.price) is None else
            (f"{policy.percent.normalize():f}" if policy.percent is not None else policy.price),
            "active": bool(policy.active)}


@get("/admin/prices/policies")
@staff_page()
async def policy_list(ctx: RequestContext) -> Response[Any]:
    return page(ctx, "admin/policies.html", policies=[snapshot(p) for p in await list_policies(ctx.session)])


@get("/admin/prices/policies/new")
@staff_page()
async def policy_new(ctx: RequestContext) -> Response[Any]:
    return page(ctx, "admin/policy_form.html", policy=None, form={"mode": "percent", "active": True,
                                                                   "priority": 0},
                customer_types=CUSTOMER_TYPES)


@get("/admin/prices/policies/{code:str}")
@staff_page()
async def policy_edit(ctx: RequestContext, code: str) -> Response[Any]:
    policy = await policy_by_code(ctx.session, code)
    return page(ctx, "admin/policy_form.html", policy=policy, form=_policy_form(policy, ctx.tenant.timezone),
                customer_types=CUSTOMER_TYPES)


async def _policy_save(ctx: RequestContext, request: Request, code: str | None) -> Response[Any]:
    assert ctx.user is not None
    form = await read_form(request)
    creating = code is None
    code = str(form.get("code") or "").strip() if code is None else code
    try:
        if creating and await code_taken(ctx, PricePolicy, code):
            raise InputError(f"a price policy with code '{code}' already exists", field="code")
        await upsert_policy(ctx.session, code, policy_body_from_form(form, ctx.tenant.timezone),
                            currency=ctx.tenant.currency, user_id=ctx.user.id)
        await ctx.session.commit()
    except InputError as exc:
        await recover(ctx)
        policy = None if creating else await policy_by_code(ctx.session, code)
        return page(ctx, "admin/policy_form.html", status_code=422, policy=policy,
                    form={**form, "active": checkbox(form, "active")},
                    errors=policy_form_errors(exc.errors, form.get("mode", "price")), customer_types=CUSTOMER_TYPES)
    return back(ctx, "/prices/policies", say(ctx, N_("Saved price policy %(code)s"), code=code))


@post("/admin/prices/policies/{code:str}/delete")
@staff_page()
async def policy_delete(ctx: RequestContext, code: str) -> Response[Any]:
    assert ctx.user is not None
    await delete_policy(ctx.session, code, user_id=ctx.user.id)
    await ctx.session.commit()
    return back(ctx, "/prices/policies", say(ctx, N_("Price policy %(code)s deleted"), code=code))


HANDLERS = [policy_list, policy_new, policy_edit,
            *save_routes("/admin/prices/policies", "policy", _policy_save, policy_by_code), policy_delete,
            prices_home, tier_prices, tier_prices_save, product_prices, product_tier_prices_save,
            product_customer_price_save, product_customer_price_delete, price_check]
