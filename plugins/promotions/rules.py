"""The promotion math, free of the database and the web (unit-tested on its own).

Order of evaluation (the contract's stacking rules, extended):

1. ``special_price``: a line's unit price becomes the promotion's price when that is
   lower; of several special prices for one SKU the lowest wins.
2. ``bundle``: each complete set of the bundle's items in the cart costs the package
   price; the saving is an order adjustment. Bundles are applied greedily (the best
   saving per set first) and a unit counts towards one bundle only.
3. Order discounts (``threshold_amount_off``, ``threshold_percent_off`` and coupons)
   read the *base* = subtotal (after special prices) minus bundle savings. Within one
   stacking ``group`` (default ``"default"``) only the one that saves most applies
   (ties: higher ``priority``, then code); discounts of different groups add up.
   The total discount never exceeds the subtotal.
4. Gifts (``threshold_gift`` on the base, ``buy_x_get_y`` on an item's quantity):
   every qualifying gift applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
HUNDRED = Decimal("100")

KIND_THRESHOLD_AMOUNT = "threshold_amount_off"
KIND_THRESHOLD_PERCENT = "threshold_percent_off"
KIND_THRESHOLD_GIFT = "threshold_gift"
KIND_SPECIAL_PRICE = "special_price"
KIND_COUPON = "coupon"
KIND_BUY_X_GET_Y = "buy_x_get_y"
KIND_BUNDLE = "bundle"

KINDS = (KIND_THRESHOLD_AMOUNT, KIND_THRESHOLD_PERCENT, KIND_THRESHOLD_GIFT, KIND_SPECIAL_PRICE,
         KIND_COUPON, KIND_BUY_X_GET_Y, KIND_BUNDLE)
DISCOUNT_KINDS = (KIND_THRESHOLD_AMOUNT, KIND_THRESHOLD_PERCENT, KIND_COUPON)
GIFT_KINDS = (KIND_THRESHOLD_GIFT, KIND_BUY_X_GET_Y)


def q(amount: Decimal, places: int = 2) -> Decimal:
    """Half-up to the currency's places."""
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Rule:
    """A snapshot of one promotion, as the math needs it."""

    code: str
    kind: str
    id: int = 0
    name: str = ""
    threshold: Decimal | None = None
    amount: Decimal | None = None
    percent: Decimal | None = None
    sku: str | None = None
    price: Decimal | None = None
    gift_sku: str | None = None
    gift_qty: int = 1
    buy_qty: int | None = None
    repeat: bool = False
    items: tuple[tuple[str, int], ...] = ()
    coupon: str | None = None
    group: str = "default"
    priority: int = 0
    limit_per_order: int | None = None
    limit_per_customer: int | None = None
    lock_qty: bool = False

    @property
    def source(self) -> str:
        return f"promotions:{self.code}"

    @property
    def min_base(self) -> Decimal:
        return self.threshold if self.threshold is not None else ZERO


@dataclass(frozen=True)
class Line:
    sku: str
    qty: int
    unit_price: Decimal


@dataclass
class Applied:
    rule: Rule
    amount: Decimal  # the saving, positive
    qty: int = 0  # units of the promotional item (limits) or sets (bundles)


@dataclass
class Gift:
    rule: Rule
    sku: str
    qty: int


@dataclass
class Upsell:
    rule: Rule
    missing: Decimal


@dataclass
class OrderResult:
    bundles: list[Applied] = field(default_factory=list)
    discounts: list[Applied] = field(default_factory=list)
    gifts: list[Gift] = field(default_factory=list)
    upsells: list[Upsell] = field(default_factory=list)
    base: Decimal = ZERO

    @property
    def total_saving(self) -> Decimal:
        return sum((a.amount for a in self.bundles + self.discounts), ZERO)


# --- line level ------------------------------------------------------------------


def best_special_prices(rules: Iterable[Rule], lines: Sequence[Line]) -> dict[int, Rule]:
    """For each line index, the special-price rule that lowers its price most (if any)."""
    by_sku: dict[str, Rule] = {}
    for rule in rules:
        if rule.kind != KIND_SPECIAL_PRICE or rule.sku is None or rule.price is None:
            continue
        current = by_sku.get(rule.sku)
        if current is None or _better_special(rule, current):
            by_sku[rule.sku] = rule
    out: dict[int, Rule] = {}
    for i, line in enumerate(lines):
        rule = by_sku.get(line.sku)
        if rule is not None and rule.price is not None and rule.price < line.unit_price:
            out[i] = rule
    return out


def _better_special(a: Rule, b: Rule) -> bool:
    assert a.price is not None and b.price is not None
    return (a.price, -a.priority, a.code) < (b.price, -b.priority, b.code)


# --- order level -----------------------------------------------------------------


def discount_for(rule: Rule, base: Decimal, places: int = 2) -> Decimal:
    """What an amount/percent rule saves on ``base`` (0 when it does not qualify), capped at base."""
    if base < rule.min_base or base <= ZERO:
        return ZERO
    saving = ZERO
    if rule.amount is not None:
        times = 1
        if rule.repeat and rule.threshold is not None and rule.threshold > ZERO:
            times = int(base // rule.threshold)
        saving = rule.amount * times
    elif rule.percent is not None:
        saving = q(base * rule.percent / HUNDRED, places)
    return min(q(saving, places), base)


def bundle_sets(rules: Iterable[Rule], lines: Sequence[Line], places: int = 2) -> list[Applied]:
    """Greedy bundle matching: best saving per set first; each unit counts once."""
    qty: dict[str, int] = {}
    price: dict[str, Decimal] = {}
    for line in lines:
        qty[line.sku] = qty.get(line.sku, 0) + line.qty
        price.setdefault(line.sku, line.unit_price)
    candidates: list[tuple[Decimal, Rule]] = []
    for rule in rules:
        if rule.kind != KIND_BUNDLE or not rule.items or rule.price is None:
            continue
        if any(sku not in qty for sku, _ in rule.items):
            continue
        per_set = sum((price[sku] * n for sku, n in rule.items), ZERO) - rule.price
        if per_set > ZERO:
            candidates.append((per_set, rule))
    candidates.sort(key=lambda c: (-c[0], -c[1].priority, c[1].code))
    out: list[Applied] = []
    for per_set, rule in candidates:
        sets = min(qty[sku] // n for sku, n in rule.items)
        if sets <= 0:
            continue
        for sku, n in rule.items:
            qty[sku] -= n * sets
        out.append(Applied(rule, q(per_set * sets, places), sets))
    return out


def best_by_group(rules: Iterable[Rule], base: Decimal, places: int = 2) -> list[Applied]:
    """Of the qualifying discount rules, the best one per stacking group."""
    best: dict[str, Applied] = {}
    for rule in rules:
        if rule.kind not in DISCOUNT_KINDS:
            continue
        saving = discount_for(rule, base, places)
        if saving <= ZERO:
            continue
        current = best.get(rule.group)
        if current is None or (saving, rule.priority, _neg(rule.code)) > (
            current.amount, current.rule.priority, _neg(current.rule.code)
        ):
            best[rule.group] = Applied(rule, saving)
    return sorted(best.values(), key=lambda a: (-a.amount, a.rule.group))


def _neg(code: str) -> tuple[int, ...]:
    """Sort key making the alphabetically first code win a tie under max()."""
    return tuple(-ord(c) for c in code)


def gifts_for(rules: Iterable[Rule], base: Decimal, lines: Sequence[Line]) -> list[Gift]:
    qty: dict[str, int] = {}
    for line in lines:
        qty[line.sku] = qty.get(line.sku, 0) + line.qty
    out: list[Gift] = []
    for rule in sorted(rules, key=lambda r: (-r.priority, r.code)):
        if rule.kind == KIND_THRESHOLD_GIFT and rule.gift_sku and base >= rule.min_base and base > ZERO:
            times = 1
            if rule.repeat and rule.threshold is not None and rule.threshold > ZERO:
                times = int(base // rule.threshold)
            if times > 0 and rule.gift_qty > 0:
                out.append(Gift(rule, rule.gift_sku, rule.gift_qty * times))
        elif rule.kind == KIND_BUY_X_GET_Y and rule.sku and rule.buy_qty:
            have = qty.get(rule.sku, 0)
            if have >= rule.buy_qty:
                times = have // rule.buy_qty if rule.repeat else 1
                out.append(Gift(rule, rule.gift_sku or rule.sku, rule.gift_qty * times))
    return out


def evaluate_order(rules: Sequence[Rule], subtotal: Decimal, lines: Sequence[Line], places: int = 2) -> OrderResult:
    """Bundles, then the best discount per group on the base, then gifts; never above subtotal."""
    result = OrderResult()
    if subtotal <= ZERO:
        result.base = max(subtotal, ZERO)
        return result
    remaining = subtotal
    for applied in bundle_sets(rules, lines, places):
        applied.amount = min(applied.amount, remaining)
        if applied.amount > ZERO:
            remaining -= applied.amount
            result.bundles.append(applied)
    base = remaining
    result.base = base
    for applied in best_by_group(rules, base, places):
        applied.amount = min(applied.amount, remaining)
        if applied.amount > ZERO:
            remaining -= applied.amount
            result.discounts.append(applied)
    result.gifts = gifts_for(rules, base, lines)
    result.upsells = upsells_for(rules, base)
    return result


def upsells_for(rules: Iterable[Rule], base: Decimal) -> list[Upsell]:
    """Threshold promotions not yet reached, nearest first ("add 35.00 more for 20.00 off")."""
    out = [
        Upsell(rule, rule.threshold - base)
        for rule in rules
        if rule.kind in (KIND_THRESHOLD_AMOUNT, KIND_THRESHOLD_PERCENT, KIND_THRESHOLD_GIFT)
        and rule.coupon is None and rule.threshold is not None and base < rule.threshold
    ]
    return sorted(out, key=lambda u: (u.missing, u.rule.code))


def over_limit(rule: Rule, lines: Sequence[Line]) -> int | None:
    """The cart's quantity of the rule's item when above its per-order limit, else None."""
    if rule.limit_per_order is None or not rule.sku:
        return None
    have = sum(line.qty for line in lines if line.sku == rule.sku)
    return have if have > rule.limit_per_order else None
