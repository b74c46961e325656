"""The one price engine: every screen, quote, order and API call prices through it.

Resolution for a customer (first that applies wins):

1. its **customer price** (``customer``);
2. the **price policies** in scope, highest ``priority`` first (ties: the later
   ``valid_from``, then the code) — active, ``valid_from <= now < valid_until``
   (UTC), product in scope and buyer in scope (``policy:<code>``);
3. its **tier price** (``tier``);
4. the product's **base price** (``base``).

Then, when the caller knows the line's quantity (quote and order), a
**quantity break** of the product (for everyone or for the customer's tier)
with ``min_qty <= qty`` replaces the price when it is lower (``break``).
Finally the **HQ price floor** (``Product.floor_price``, 限价): writes below it
are refused, but if stored data still resolves below it (e.g. the floor was
raised later) the price becomes the floor and the label says so
(``floored=True``; the source stays the rule that produced the price).
Guests pay the retail price (``retail``; none: not sold to guests), floored too.
Plugins may then adjust lines (special prices) in the checkout pipeline.

A whole page or cart is resolved in a constant number of queries whatever its
size: customer prices, tier prices, policies, categories (only when a policy in
play is scoped by category), quantity breaks (only with quantities) — one each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, String, bindparam, cast, literal, null, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.catalog.models import Brand, Category, Product
from qudao.core.customers.models import Customer, Tier
from qudao.core.db.prepared import in_list, prepared
from qudao.core.db.session import config_changed, on_postgresql
from qudao.core.money import quantize
from qudao.core.pricing.models import CustomerPrice, PriceBreak, PricePolicy, TierPrice

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class ResolvedPrice:
    price: Decimal
    source: str  # customer | policy:<code> | tier | base | break | retail
    label: str
    floored: bool = False  # the stored rule resolved below the HQ floor; the price is the floor


@dataclass(frozen=True)
class PolicyRule:
    """A policy as the engine evaluates it (from the table, or from a history snapshot)."""

    code: str
    name: str
    priority: int
    valid_from: datetime | None
    valid_until: datetime | None
    skus: frozenset[str]
    categories: frozenset[str]
    brands: frozenset[str]
    customers: frozenset[str]
    tiers: frozenset[str]
    customer_types: frozenset[str]
    regions: tuple[str, ...]
    price: Decimal | None
    percent: Decimal | None
    active: bool = True

    @classmethod
    def of(cls, p: PricePolicy) -> PolicyRule:
        return cls(p.code, p.name, p.priority or 0, p.valid_from, p.valid_until, frozenset(p.skus or ()),
                   frozenset(p.categories or ()), frozenset(p.brands or ()), frozenset(p.customers or ()),
                   frozenset(p.tiers or ()), frozenset(p.customer_types or ()), tuple(p.regions or ()), p.price,
                   p.percent, bool(p.active))

    @classmethod
    def from_snapshot(cls, s: Mapping[str, Any]) -> PolicyRule:
        def when(v: str | None) -> datetime | None:
            return datetime.fromisoformat(v).astimezone(UTC) if v else None

        def dec(v: str | None) -> Decimal | None:
            return Decimal(v) if v is not None else None

        return cls(s["code"], s.get("name", s["code"]), int(s.get("priority") or 0), when(s.get("valid_from")),
                   when(s.get("valid_until")), frozenset(s.get("skus") or ()), frozenset(s.get("categories") or ()),
                   frozenset(s.get("brands") or ()), frozenset(s.get("customers") or ()),
                   frozenset(s.get("tiers") or ()), frozenset(s.get("customer_types") or ()),
                   tuple(s.get("regions") or ()), dec(s.get("price")), dec(s.get("percent")),
                   bool(s.get("active", True)))

    def valid_at(self, at: datetime) -> bool:
        return (self.active and (self.valid_from is None or self.valid_from <= at)
                and (self.valid_until is None or at < self.valid_until))

    @property
    def product_scoped(self) -> bool:
        return bool(self.skus or self.categories or self.brands)

    def covers_buyer(self, customer: Customer, tier_code: str | None) -> bool:
        if self.customers and customer.code not in self.customers:
            return False
        if self.tiers and (tier_code is None or tier_code not in self.tiers):
            return False
        if self.customer_types and customer.type not in self.customer_types:
            return False
        return not self.regions or any(region_matches(r, customer.region) for r in self.regions)

    def covers_product(self, sku: str, brand_code: str | None, category_codes: Iterable[str]) -> bool:
        if not self.product_scoped:
            return True
        if sku in self.skus or (brand_code is not None and brand_code in self.brands):
            return True
        return bool(self.categories) and any(c in self.categories for c in category_codes)

    def price_for(self, base: Decimal, currency: str) -> Decimal:
        if self.price is not None:
            return quantize(self.price, currency)
        assert self.percent is not None
        return quantize(base * self.percent / HUNDRED, currency)

    def sort_key(self) -> tuple[int, float, str]:
        start = self.valid_from.timestamp() if self.valid_from else float("-inf")
        return (-self.priority, -start, self.code)

    @property
    def label(self) -> str:
        how = f"{self.percent.normalize():f}% of base price" if self.percent is not None else "fixed price"
        return f"Price policy {self.code} ({self.name}, {how}, priority {self.priority})"


def region_matches(prefix: str, region: str | None) -> bool:
    """Region paths are '/'-separated (省/市/区); a prefix matches whole segments only."""
    if not region:
        return False
    p, r = prefix.strip().strip("/"), region.strip().strip("/")
    return r == p or r.startswith(p + "/")


def floor_label(label: str, floor: Decimal, was: Decimal) -> str:
    return f"HQ price floor {floor} (the {label.lower()} {was} is below the floor)"


def apply_floor(resolved: ResolvedPrice, floor: Decimal | None, currency: str) -> ResolvedPrice:
    if floor is None or resolved.price >= floor:
        return resolved
    f = quantize(floor, currency)
    return replace(resolved, price=f, label=floor_label(resolved.label, f, resolved.price), floored=True)


def best_break(breaks: Iterable[tuple[int, Decimal, int | None]], qty: int,
               tier_id: int | None) -> tuple[int, Decimal] | None:
    """The lowest price among the breaks reached by ``qty`` (general ones and the buyer's tier's)."""
    best: tuple[int, Decimal] | None = None
    for min_qty, price, b_tier in breaks:
        if min_qty > qty or (b_tier is not None and b_tier != tier_id):
            continue
        if best is None or price < best[1] or (price == best[1] and min_qty < best[0]):
            best = (min_qty, price)
    return best


def choose(product: Product, *, customer_price: Decimal | None, tier_price: Decimal | None,
           policies: Sequence[PolicyRule], brand_code: str | None, category_codes: Sequence[str],
           breaks: Sequence[tuple[int, Decimal, int | None]], qty: int | None, tier_id: int | None,
           floor: Decimal | None, currency: str) -> ResolvedPrice:
    """One product's price from the rules in play (shared by today's engine and past answers)."""
    if customer_price is not None:
        out = ResolvedPrice(quantize(customer_price, currency), "customer", "Customer price")
    else:
        rule = next((r for r in policies if r.covers_product(product.sku, brand_code, category_codes)), None)
        if rule is not None:
            out = ResolvedPrice(rule.price_for(product.price, currency), f"policy:{rule.code}", rule.label)
        elif tier_price is not None:
            out = ResolvedPrice(quantize(tier_price, currency), "tier", "Tier price")
        else:
            out = ResolvedPrice(quantize(product.price, currency), "base", "Base price")
    if qty is not None and breaks:
        found = best_break(breaks, qty, tier_id)
        if found is not None and quantize(found[1], currency) < out.price:
            out = ResolvedPrice(quantize(found[1], currency), "break",
                                f"Volume price from {found[0]} {product.unit or ''}".rstrip()
                                + f" (instead of {out.label.lower()} {out.price})")
    return apply_floor(out, floor, currency)


def category_ancestry(parents: Mapping[int, tuple[str, int | None]], category_id: int | None) -> list[str]:
    """Codes of a category and all its ancestors (a policy on a parent covers its children)."""
    codes: list[str] = []
    seen: set[int] = set()
    while category_id is not None and category_id in parents and category_id not in seen:
        seen.add(category_id)
        code, parent = parents[category_id]
        codes.append(code)
        category_id = parent
    return codes


async def load_policy_context(session: AsyncSession, rules: Sequence[PolicyRule], products: Sequence[Product]
                              ) -> tuple[dict[int, str], dict[int, tuple[str, int | None]]]:
    """Brand codes of the products and the category tree — only when a rule in play needs them."""
    brand_codes: dict[int, str] = {}
    parents: dict[int, tuple[str, int | None]] = {}
    brand_ids = {p.brand_id for p in products if p.brand_id is not None}
    if brand_ids and any(r.brands for r in rules):
        brand_codes = dict((await session.execute(
            select(Brand.id, Brand.code).where(Brand.id.in_(brand_ids)))).all())  # type: ignore[arg-type]
    if any(r.categories for r in rules) and any(p.category_id is not None for p in products):
        parents = {cid: (code, parent) for cid, code, parent in (await session.execute(
            select(Category.id, Category.code, Category.parent_id))).all()}
    return brand_codes, parents


_RULES: dict[tuple[int, int], tuple[PolicyRule, ...]] = {}


async def active_rules(session: AsyncSession) -> tuple[PolicyRule, ...]:
    """The tenant's active price policies, kept per process and ``config_version`` (which every
    change to a policy bumps: ``TenantConfig``), so a listing or an order does not read them again;
    read from the database when the version is unknown or this transaction changed them."""
    info = session.sync_session.info
    tid, version = info.get("tenant_id"), info.get("tenant_version")
    cacheable = tid is not None and version is not None and not config_changed(session)
    rules = _RULES.get((tid, version)) if cacheable else None
    if rules is None:
        rules = tuple(map(PolicyRule.of, (await session.scalars(
            select(PricePolicy).where(PricePolicy.active.is_(True)))).all()))
        if cacheable:
            if len(_RULES) >= 10_000:
                _RULES.clear()
            _RULES[(tid, version)] = rules
    return rules


async def tier_code_of(session: AsyncSession, customer: Customer) -> str | None:
    if customer.tier_id is None:
        return None
    return await session.scalar(select(Tier.code).where(Tier.id == customer.tier_id))


@prepared
def _buyer_prices_statement(with_tier: bool, with_breaks: bool, postgresql: bool) -> Any:
    """:customer_id's prices, :tier_id's code and prices and (``with_breaks``) quantity breaks
    for the products in :ids."""
    customer, tier = bindparam("customer_id"), bindparam("tier_id")
    no_int, no_code = cast(null(), BigInteger), cast(null(), String)
    parts = [select(literal("c"), CustomerPrice.product_id, CustomerPrice.price, no_int, no_int, no_code)
             .where(CustomerPrice.customer_id == customer, in_list(CustomerPrice.product_id, "ids", postgresql))]
    if with_tier:
        # the tier's code comes with its prices (outer join: a row even with no prices)
        parts.append(select(literal("t"), TierPrice.product_id, TierPrice.price, no_int, no_int, Tier.code)
                     .select_from(Tier).outerjoin(TierPrice, (TierPrice.tier_id == Tier.id)
                                                  & (TierPrice.tenant_id == Tier.tenant_id)
                                                  & in_list(TierPrice.product_id, "ids", postgresql))
                     .where(Tier.id == tier))
    if with_breaks:
        parts.append(select(literal("b"), PriceBreak.product_id, PriceBreak.price, cast(PriceBreak.min_qty, BigInteger),
                            PriceBreak.tier_id, no_code)
                     .where(in_list(PriceBreak.product_id, "ids", postgresql), or_(PriceBreak.tier_id.is_(None), PriceBreak.tier_id == tier)))
    return union_all(*parts)


async def buyer_prices(session: AsyncSession, customer: Customer, ids: list[int], with_breaks: bool) -> tuple[
        dict[int, Decimal], dict[int, Decimal], str | None, dict[int, list[tuple[int, Decimal, int | None]]]]:
    """The buyer's customer prices, tier code and tier prices, and (for a cart) quantity breaks,
    in one statement (UNION ALL): each was its own round trip on every quote and order."""
    stmt = _buyer_prices_statement(customer.tier_id is not None, with_breaks, on_postgresql(session))
    params = {"customer_id": customer.id, "tier_id": customer.tier_id, "ids": ids}
    customer_prices: dict[int, Decimal] = {}
    tier_prices: dict[int, Decimal] = {}
    tier_code: str | None = None
    breaks: dict[int, list[tuple[int, Decimal, int | None]]] = {}
    for kind, pid, price, min_qty, b_tier, code in (await session.execute(stmt, params)).all():
        if kind == "c":
            customer_prices[pid] = price
        elif kind == "t":
            tier_code = code
            if pid is not None:
                tier_prices[pid] = price
        else:
            breaks.setdefault(pid, []).append((int(min_qty), price, b_tier))
    return customer_prices, tier_prices, tier_code, breaks


async def resolve_prices(session: AsyncSession, products: Sequence[Product], *, customer: Customer | None,
                         guest: bool = False, currency: str = "CNY",
                         quantities: Mapping[int, int] | None = None,
                         at: datetime | None = None) -> dict[int, ResolvedPrice | None]:
    """Price many products for one buyer; None means 'not for sale to this buyer'.

    ``quantities`` (product id → qty of the line) turns on quantity breaks; listings leave it out.
    ``at`` is the moment policies' windows are checked against (default: now, UTC).
    """
    ids = [p.id for p in products]
    out: dict[int, ResolvedPrice | None] = {}
    if guest:
        for p in products:
            out[p.id] = (apply_floor(ResolvedPrice(quantize(p.retail_price, currency), "retail", "Retail price"),
                                     p.floor_price, currency) if p.retail_price is not None else None)
        return out
    if customer is None or not ids:
        for p in products:
            out[p.id] = apply_floor(ResolvedPrice(quantize(p.price, currency), "base", "Base price"),
                                    p.floor_price, currency)
        return out
    now = at or datetime.now(UTC)
    customer_prices, tier_prices, tier_code, breaks = await buyer_prices(session, customer, ids, bool(quantities))
    rules: list[PolicyRule] = []
    if len(customer_prices) < len(ids):  # policies matter only below a customer price
        rules = sorted((r for r in await active_rules(session)
                        if r.valid_at(now) and r.covers_buyer(customer, tier_code)), key=PolicyRule.sort_key)
    brand_codes, parents = await load_policy_context(session, rules, products) if rules else ({}, {})
    for p in products:
        out[p.id] = choose(
            p, customer_price=customer_prices.get(p.id), tier_price=tier_prices.get(p.id), policies=rules,
            brand_code=brand_codes.get(p.brand_id) if p.brand_id is not None else None,
            category_codes=category_ancestry(parents, p.category_id), breaks=breaks.get(p.id, ()),
            qty=quantities.get(p.id) if quantities else None, tier_id=customer.tier_id, floor=p.floor_price,
            currency=currency)
    return out
