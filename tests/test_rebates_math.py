"""Rebate math (pure functions): tiers retroactive and progressive, per unit, allocation.

Worked examples pin the cents; hypothesis checks the properties that must hold for any input.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qudao.plugins.rebates import calc
from qudao.plugins.rebates.calc import Tier
from qudao.plugins.rebates.periods import parse_period, period_for

D = Decimal
TIERS = [Tier(D("500000"), D("2")), Tier(D("1000000"), D("3"))]
WITH_ZERO = [Tier(D("0"), D("1")), *TIERS]


def test_retroactive_applies_the_reached_rate_from_the_first_yuan() -> None:
    assert calc.retroactive(TIERS, D("499999.99"), D("499999.99")) == D("0.00")
    assert calc.retroactive(TIERS, D("500000.00"), D("500000.00")) == D("10000.00")
    assert calc.retroactive(TIERS, D("600000.00"), D("600000.00")) == D("12000.00")
    assert calc.retroactive(TIERS, D("1200000.00"), D("1200000.00")) == D("36000.00")
    assert calc.retroactive(TIERS, D("512345.67"), D("512345.67")) == D("10246.91")  # 10246.9134 half-up


def test_progressive_pays_each_band_at_its_rate() -> None:
    assert calc.progressive(TIERS, D("600000.00"), D("600000.00")) == D("2000.00")
    assert calc.progressive(TIERS, D("1200000.00"), D("1200000.00")) == D("16000.00")
    assert calc.progressive(WITH_ZERO, D("1200000.00"), D("1200000.00")) == D("21000.00")
    assert calc.progressive(TIERS, D("500000.01"), D("500000.01")) == D("0.00")  # 0.0002 rounds to 0.00
    assert calc.progressive(TIERS, D("500000.25"), D("500000.25")) == D("0.01")  # 0.005 rounds half-up


def test_quantity_tiers_pay_a_percent_of_the_amount() -> None:
    units = [Tier(D("100"), D("2")), Tier(D("200"), D("4"))]
    assert calc.retroactive(units, D("150"), D("3000.00")) == D("60.00")
    # progressive on units: 50 units in the 2 % band and 0 in the 4 % band, at the average 20.00/unit
    assert calc.progressive(units, D("150"), D("3000.00")) == D("20.00")


def test_per_unit() -> None:
    assert calc.per_unit(1234, D("1.00")) == D("1234.00")
    assert calc.per_unit(3, D("0.335")) == D("1.01")  # 1.005 half-up
    assert calc.per_unit(-5, D("1.00")) == D("0.00")


def test_tier_checks() -> None:
    assert calc.check_tiers(TIERS) is None
    assert "overlaps" in (calc.check_tiers([Tier(D("5"), D("1")), Tier(D("5"), D("2"))]) or "")
    assert "overlaps" in (calc.check_tiers([Tier(D("9"), D("1")), Tier(D("5"), D("2"))]) or "")
    assert calc.check_tiers([]) is not None
    assert calc.check_tiers([Tier(D("1"), D("0"))]) is not None
    assert calc.check_tiers([Tier(D("1"), D("101"))]) is not None


def test_progress() -> None:
    p = calc.progress(TIERS, D("312400"))
    assert (p.rate, p.next_threshold, p.next_percent, p.to_next) == (D(0), D("500000"), D("2"), D("187600"))
    p = calc.progress(TIERS, D("1000000"))
    assert (p.rate, p.next_threshold, p.to_next) == (D("3"), None, None)


def test_allocation_worked_example() -> None:
    # 100.00 + 200.00 + 0.01 with 10.00 off: shares 3.33 / 6.67 / 0.00 exactly adding to 10.00
    assert calc.allocate([10000, 20000, 1], 1000) == [333, 667, 0]
    assert calc.allocate([100, 100, 100], 100) == [34, 33, 33]  # the remainder cent goes to the first tie
    assert calc.allocate([0, 500], 100) == [0, 100]
    assert calc.allocate([300], 500) == [300]  # never more than the lines


def test_periods() -> None:
    assert period_for("quarter", date(2026, 11, 15)).key == "2026-Q4"
    q = parse_period("quarter", "2026-q1")
    assert (q.key, q.starts_on, q.ends_on) == ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31))
    assert parse_period("month", "2024-02").ends_on == date(2024, 2, 29)
    assert parse_period("year", "2026").ends_on == date(2026, 12, 31)
    own = (date(2026, 3, 5), date(2026, 9, 1))
    assert parse_period("custom", "2026-03-05..2026-09-01", own).key == "2026-03-05..2026-09-01"
    for kind, text in [("quarter", "2026-Q5"), ("quarter", "2026-11"), ("month", "2026-13"), ("year", "26"),
                       ("month", ""), ("custom", "2026-03-05..2026-09-02"), ("month", 202611)]:
        with pytest.raises(ValueError):
            parse_period(kind, text, own if kind == "custom" else None)


amounts = st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False)
tier_lists = st.lists(st.tuples(st.integers(0, 5_000_000), st.decimals(min_value=D("0.01"), max_value=100, places=2)),
                      min_size=1, max_size=6, unique_by=lambda t: t[0]).map(
    lambda ts: [Tier(D(a), p) for a, p in sorted(ts)])


@settings(deadline=None, max_examples=300)
@given(tier_lists, amounts, amounts)
def test_more_basis_never_pays_less_when_rates_rise(tiers: list[Tier], a: Decimal, b: Decimal) -> None:
    lo, hi = min(a, b), max(a, b)
    assert calc.progressive(tiers, lo, lo) <= calc.progressive(tiers, hi, hi)
    if all(x.percent <= y.percent for x, y in zip(tiers, tiers[1:], strict=False)):
        assert calc.retroactive(tiers, lo, lo) <= calc.retroactive(tiers, hi, hi)
        # rising rates: paying each band its rate is never more than the top rate on everything
        assert calc.progressive(tiers, hi, hi) <= calc.retroactive(tiers, hi, hi)


@settings(deadline=None, max_examples=300)
@given(tier_lists, amounts)
def test_results_are_cents_and_within_the_top_rate(tiers: list[Tier], total: Decimal) -> None:
    top = max(t.percent for t in tiers)
    for value in (calc.retroactive(tiers, total, total), calc.progressive(tiers, total, total)):
        assert value == value.quantize(D("0.01")) and D(0) <= value
        assert value <= calc.round_money(total * top / 100)


@settings(deadline=None, max_examples=300)
@given(tier_lists, amounts)
def test_retroactive_is_total_times_the_reached_rate(tiers: list[Tier], total: Decimal) -> None:
    tier = calc.reached(tiers, total)
    expected = D(0) if tier is None else total * tier.percent / 100
    assert calc.retroactive(tiers, total, total) == calc.round_money(expected)


@settings(deadline=None, max_examples=300)
@given(st.lists(st.integers(0, 10_000_000), min_size=1, max_size=30), st.integers(0, 50_000_000))
def test_allocation_adds_up_and_is_pro_rata_within_a_cent(totals: list[int], discount: int) -> None:
    shares = calc.allocate(totals, discount)
    whole = sum(totals)
    assert sum(shares) == (min(discount, whole) if whole > 0 else 0)
    for total, share in zip(totals, shares, strict=True):
        assert 0 <= share <= total
        if whole:
            assert abs(D(share) - D(total) * min(discount, whole) / whole) < 1
