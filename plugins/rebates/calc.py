"""Rebate math, pure functions (property-tested in tests/test_rebates_math.py).

* **Tiered, retroactive**: the highest tier the period total reaches sets the rate, and the
  rate applies to the whole total from the first yuan: ¥600,000 at 2 % = ¥12,000.
* **Tiered, progressive**: each band is paid at its own rate, like income tax:
  tiers 0 % / 2 % from ¥500,000 / 3 % from ¥1,000,000 on ¥1,200,000 pay
  500,000 × 2 % + 200,000 × 3 % = ¥16,000.
* **Per unit**: a fixed amount per bought unit (gifts excluded).

With a quantity basis the tiers' thresholds are units and the percent applies to the
amount (net of discounts). Band amounts are added exactly and the rebate is rounded once,
half-up to the currency's minor unit.

``allocate`` spreads an order-level discount over its lines pro rata to their totals, in
minor units by the largest-remainder method, so the shares add up to the discount exactly
(ties go to the earlier line).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from qudao.plugins.rebates.models import PROGRESSIVE, RETROACTIVE

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Tier:
    threshold: Decimal  # money or units, per the program's basis
    percent: Decimal


@dataclass(frozen=True)
class Progress:
    rate: Decimal  # the retroactive rate reached, or the marginal rate (progressive)
    next_threshold: Decimal | None
    next_percent: Decimal | None
    to_next: Decimal | None  # how much more basis reaches the next tier


def round_money(value: Decimal, places: int = 2) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def reached(tiers: list[Tier], measure: Decimal) -> Tier | None:
    """The highest tier whose threshold ``measure`` reaches (tiers sorted ascending)."""
    best = None
    for tier in tiers:
        if measure >= tier.threshold:
            best = tier
    return best


def retroactive(tiers: list[Tier], measure: Decimal, amount: Decimal, places: int = 2) -> Decimal:
    tier = reached(tiers, measure)
    if tier is None:
        return round_money(Decimal(0), places)
    return round_money(amount * tier.percent / HUNDRED, places)


def progressive(tiers: list[Tier], measure: Decimal, amount: Decimal, places: int = 2) -> Decimal:
    """Each band at its rate. With a quantity basis a band's amount is its share of ``amount``
    (the period's average amount per unit times the band's units)."""
    if measure <= 0:
        return round_money(Decimal(0), places)
    total = Decimal(0)
    for i, tier in enumerate(tiers):
        top = tiers[i + 1].threshold if i + 1 < len(tiers) else None
        if measure <= tier.threshold:
            break
        band = (min(measure, top) if top is not None else measure) - tier.threshold
        total += band * tier.percent / HUNDRED
    if measure == amount:
        return round_money(total, places)
    return round_money(total * amount / measure, places)


def tiered(mode: str, tiers: list[Tier], measure: Decimal, amount: Decimal, places: int = 2) -> Decimal:
    if mode == RETROACTIVE:
        return retroactive(tiers, measure, amount, places)
    if mode == PROGRESSIVE:
        return progressive(tiers, measure, amount, places)
    raise ValueError(f"unknown tier mode {mode!r}")


def per_unit(qty: int, amount_per_unit: Decimal, places: int = 2) -> Decimal:
    return round_money(max(qty, 0) * amount_per_unit, places)


def progress(tiers: list[Tier], measure: Decimal) -> Progress:
    tier = reached(tiers, measure)
    following = next((t for t in tiers if t.threshold > measure), None)
    return Progress(
        rate=tier.percent if tier is not None else Decimal(0),
        next_threshold=following.threshold if following else None,
        next_percent=following.percent if following else None,
        to_next=(following.threshold - measure) if following else None,
    )


def check_tiers(tiers: list[Tier]) -> str | None:
    """Why a tier list is unusable (overlapping, unsorted, out of range), or None."""
    if not tiers:
        return "give at least one tier"
    for i, tier in enumerate(tiers):
        if tier.threshold < 0:
            return f"tier {i + 1}: the threshold must not be negative"
        if not (0 < tier.percent <= HUNDRED):
            return f"tier {i + 1}: the percent must be more than 0 and at most 100"
        if i and tier.threshold <= tiers[i - 1].threshold:
            return (f"tier {i + 1} overlaps tier {i}: thresholds must rise strictly "
                    f"({tiers[i - 1].threshold} then {tier.threshold})")
    return None


def allocate(line_totals: list[int], discount: int) -> list[int]:
    """Shares of ``discount`` (minor units, >= 0) per line, pro rata to ``line_totals``."""
    total = sum(t for t in line_totals if t > 0)
    if total <= 0 or discount <= 0:
        return [0] * len(line_totals)
    discount = min(discount, total)
    raw = [Decimal(max(t, 0)) * discount / total for t in line_totals]
    shares = [int(r.to_integral_value(rounding=ROUND_FLOOR)) for r in raw]
    left = discount - sum(shares)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - shares[i]), i))
    for i in order[:left]:
        shares[i] += 1
    return shares
