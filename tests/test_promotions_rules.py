"""Promotions math on its own (plugins/promotions/rules.py), to the cent."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from qudao.plugins.promotions import rules as R


def amount_off(code: str, threshold: str, amount: str, **kw: object) -> R.Rule:
    return R.Rule(code=code, kind=R.KIND_THRESHOLD_AMOUNT, threshold=D(threshold), amount=D(amount), **kw)  # type: ignore[arg-type]


def percent_off(code: str, threshold: str, percent: str, **kw: object) -> R.Rule:
    return R.Rule(code=code, kind=R.KIND_THRESHOLD_PERCENT, threshold=D(threshold), percent=D(percent), **kw)  # type: ignore[arg-type]


def test_amount_off_needs_the_threshold_inclusive() -> None:
    rule = amount_off("A", "100", "20")
    assert R.discount_for(rule, D("99.99")) == D("0")
    assert R.discount_for(rule, D("100.00")) == D("20.00")
    assert R.discount_for(rule, D("1000.00")) == D("20.00")


def test_amount_off_repeat_counts_whole_thresholds() -> None:
    rule = amount_off("A", "100", "15", repeat=True)
    assert R.discount_for(rule, D("99.99")) == D("0")
    assert R.discount_for(rule, D("199.99")) == D("15.00")
    assert R.discount_for(rule, D("350.00")) == D("45.00")


def test_percent_is_rounded_half_up_to_the_currency() -> None:
    rule = percent_off("P", "50", "10")
    assert R.discount_for(rule, D("60.25")) == D("6.03")  # 6.025: half-up, not banker's 6.02
    assert R.discount_for(rule, D("60.24")) == D("6.02")
    assert R.discount_for(percent_off("P", "0", "12.5"), D("10.05")) == D("1.26")  # 1.25625
    assert R.discount_for(percent_off("P", "0", "33"), D("10"), places=0) == D("3")


def test_a_discount_never_exceeds_its_base() -> None:
    assert R.discount_for(amount_off("A", "10", "50"), D("12.00")) == D("12.00")
    assert R.discount_for(percent_off("P", "0", "100"), D("12.34")) == D("12.34")
    result = R.evaluate_order([amount_off("A", "0", "50", group="g1"), amount_off("B", "0", "40", group="g2")],
                              D("60.00"), [])
    assert result.total_saving == D("60.00")


def test_best_single_discount_wins_within_a_group() -> None:
    rules = [amount_off("A", "100", "20"), percent_off("P", "100", "10")]
    on_150 = R.evaluate_order(rules, D("150.00"), [])
    assert [(a.rule.code, a.amount) for a in on_150.discounts] == [("A", D("20.00"))]
    on_300 = R.evaluate_order(rules, D("300.00"), [])
    assert [(a.rule.code, a.amount) for a in on_300.discounts] == [("P", D("30.00"))]
    # a tie goes to the higher priority, then to the first code
    tie = R.evaluate_order([amount_off("B", "0", "10"), amount_off("A", "0", "10")], D("50"), [])
    assert [a.rule.code for a in tie.discounts] == ["A"]
    tie = R.evaluate_order([amount_off("B", "0", "10", priority=5), amount_off("A", "0", "10")], D("50"), [])
    assert [a.rule.code for a in tie.discounts] == ["B"]


def test_discounts_of_different_groups_add_up() -> None:
    rules = [amount_off("A", "100", "20"), percent_off("P", "100", "10", group="vip")]
    result = R.evaluate_order(rules, D("150.00"), [])
    assert sorted((a.rule.code, a.amount) for a in result.discounts) == [("A", D("20.00")), ("P", D("15.00"))]


def test_gifts_accumulate_and_read_the_threshold() -> None:
    rules = [
        R.Rule(code="G1", kind=R.KIND_THRESHOLD_GIFT, threshold=D("100"), gift_sku="CUP", gift_qty=2),
        R.Rule(code="G2", kind=R.KIND_THRESHOLD_GIFT, threshold=D("200"), gift_sku="BAG"),
        R.Rule(code="G3", kind=R.KIND_THRESHOLD_GIFT, threshold=D("100"), gift_sku="PEN", repeat=True),
        amount_off("A", "100", "20"),
    ]
    result = R.evaluate_order(rules, D("250.00"), [])
    assert sorted((g.rule.code, g.sku, g.qty) for g in result.gifts) == [
        ("G1", "CUP", 2), ("G2", "BAG", 1), ("G3", "PEN", 2)]
    assert [a.rule.code for a in result.discounts] == ["A"]
    assert [(g.rule.code) for g in R.evaluate_order(rules, D("99.99"), []).gifts] == []


def test_special_price_only_lowers_and_the_lowest_wins() -> None:
    rules = [R.Rule(code="S1", kind=R.KIND_SPECIAL_PRICE, sku="TEA", price=D("8.00")),
             R.Rule(code="S2", kind=R.KIND_SPECIAL_PRICE, sku="TEA", price=D("7.50")),
             R.Rule(code="S3", kind=R.KIND_SPECIAL_PRICE, sku="COFFEE", price=D("30.00"))]
    lines = [R.Line("TEA", 3, D("10.00")), R.Line("COFFEE", 1, D("25.00")), R.Line("MILK", 1, D("5.00"))]
    chosen = R.best_special_prices(rules, lines)
    assert {i: r.code for i, r in chosen.items()} == {0: "S2"}


def test_buy_x_get_y() -> None:
    once = R.Rule(code="B", kind=R.KIND_BUY_X_GET_Y, sku="TEA", buy_qty=10, gift_qty=1, gift_sku="TEA")
    each = R.Rule(code="E", kind=R.KIND_BUY_X_GET_Y, sku="TEA", buy_qty=10, gift_qty=1, gift_sku="CUP",
                  repeat=True)
    lines = [R.Line("TEA", 25, D("10"))]
    assert [(g.sku, g.qty) for g in R.gifts_for([once], D("250"), lines)] == [("TEA", 1)]
    assert [(g.sku, g.qty) for g in R.gifts_for([each], D("250"), lines)] == [("CUP", 2)]
    assert R.gifts_for([each], D("90"), [R.Line("TEA", 9, D("10"))]) == []


def test_bundles_use_each_unit_once_best_first() -> None:
    cheap = R.Rule(code="AB", kind=R.KIND_BUNDLE, items=(("A", 1), ("B", 1)), price=D("15.00"))  # saves 3
    better = R.Rule(code="AC", kind=R.KIND_BUNDLE, items=(("A", 1), ("C", 2)), price=D("12.00"))  # saves 8
    lines = [R.Line("A", 3, D("10.00")), R.Line("B", 5, D("8.00")), R.Line("C", 2, D("5.00"))]
    applied = R.bundle_sets([cheap, better], lines)
    assert [(a.rule.code, a.qty, a.amount) for a in applied] == [("AC", 1, D("8.00")), ("AB", 2, D("6.00"))]


def test_thresholds_read_the_subtotal_after_bundles() -> None:
    bundle = R.Rule(code="AB", kind=R.KIND_BUNDLE, items=(("A", 1), ("B", 1)), price=D("15.00"))
    lines = [R.Line("A", 5, D("10.00")), R.Line("B", 5, D("10.00"))]  # subtotal 100, bundles save 25
    result = R.evaluate_order([bundle, amount_off("T", "100", "10")], D("100.00"), lines)
    assert [(a.rule.code, a.amount) for a in result.bundles] == [("AB", D("25.00"))]
    assert result.base == D("75.00") and result.discounts == []
    assert [u.missing for u in result.upsells] == [D("25.00")]


def test_per_order_limit() -> None:
    rule = R.Rule(code="S", kind=R.KIND_SPECIAL_PRICE, sku="TEA", price=D("1"), limit_per_order=5)
    assert R.over_limit(rule, [R.Line("TEA", 5, D("1"))]) is None
    assert R.over_limit(rule, [R.Line("TEA", 6, D("1"))]) == 6


money = st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2)


@st.composite
def discount_rules(draw: st.DrawFn) -> list[R.Rule]:
    out = []
    for i in range(draw(st.integers(0, 5))):
        threshold = draw(st.decimals(min_value=D("0"), max_value=D("3000"), places=2))
        if draw(st.booleans()):
            out.append(amount_off(f"A{i}", str(threshold), str(draw(money)),
                                  repeat=draw(st.booleans()) and threshold > 0))
        else:
            out.append(percent_off(f"P{i}", str(threshold), str(draw(st.integers(0, 100)))))
    return out


@settings(max_examples=200, deadline=None)
@given(rules=discount_rules(), subtotal=st.decimals(min_value=D("0"), max_value=D("10000"), places=2))
def test_property_the_chosen_discount_is_the_best_and_never_too_much(rules: list[R.Rule], subtotal: D) -> None:
    result = R.evaluate_order(rules, subtotal, [])
    saving = result.total_saving
    assert D("0") <= saving <= subtotal
    assert len(result.discounts) <= 1
    # the best allowed: brute force over every rule on its own
    best = D("0")
    for rule in rules:
        if subtotal >= rule.min_base:
            raw = rule.amount * (int(subtotal // rule.threshold) if rule.repeat else 1) if rule.amount is not None \
                else (subtotal * rule.percent / 100).quantize(D("0.01"), rounding="ROUND_HALF_UP")
            best = max(best, min(raw, subtotal))
    assert saving == best


def test_labels_in_english_and_chinese() -> None:
    from qudao.plugins.promotions.views import label_for

    each = amount_off("E", "100", "15", repeat=True)
    assert label_for(each, "CNY", "en") == "15.00 off for every 100.00 spent"
    assert label_for(each, "CNY", "zh") == "每满100.00减15.00"
    coupon = R.Rule(code="W", kind=R.KIND_COUPON, percent=D("12.5"), threshold=D("0"), coupon="WELCOME")
    assert label_for(coupon, "CNY", "zh") == "优惠券 WELCOME：立减12.5%"
    gift = R.Rule(code="G", kind=R.KIND_THRESHOLD_GIFT, threshold=D("99"), gift_sku="CUP", gift_qty=2)
    assert label_for(gift, "JPY", "en") == "Spend 99, get 2 × CUP free"
    assert label_for(R.Rule(code="N", kind=R.KIND_SPECIAL_PRICE, name="双11特价", price=D("1")), "CNY") == "双11特价"
