"""Promotions that lock the main items' quantities (``lock_qty``) and a staff edit of a
submitted promotion order: locks on quote and order lines, the cart page's note, the admin
checkbox, purchase limits (限购) re-checked on the edited order, promotion uses kept in step."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import TenantAPI, csrf_of, web_login
from tests.test_admin_common import Staff
from tests.test_promotions_api import gifts, make_shop, order, promo, quote, totals


def locks(q: dict[str, Any]) -> dict[str, str | None]:
    """Bought lines' locks, by SKU (gift lines are never locked)."""
    assert all(li["locked_by"] is None for li in q["lines"] if li["gift"])
    return {li["sku"]: li["locked_by"] for li in q["lines"] if not li["gift"]}


def edit(t: TenantAPI, number: str, *lines: tuple[str, int]) -> Any:
    """A clerk changes quantities of a submitted order."""
    return t.client.patch(t.url(f"/orders/{number}"), headers=t.headers,
                          json={"lines": [{"sku": s, "qty": q} for s, q in lines], "reason": "phone call"})


def codes(resp: Any) -> list[str]:
    return [v["code"] for v in resp.json().get("violations", [])]


def qty_of(t: TenantAPI, number: str) -> dict[str, int]:
    return {li["sku"]: li["qty"] for li in t.ok("get", f"/orders/{number}")["lines"] if not li["gift"]}


# --- the option ---------------------------------------------------------------------------


def test_lock_qty_is_an_option_of_every_promotion(tenant: TenantAPI) -> None:
    make_shop(tenant)
    assert promo(tenant, "M100", kind="threshold_amount_off", threshold="100", amount="10")["lock_qty"] is False
    assert promo(tenant, "M100", kind="threshold_amount_off", threshold="100", amount="10",
                 lock_qty=True)["lock_qty"] is True
    assert tenant.ok("get", "/promotions/M100")["lock_qty"] is True
    for bad in ("maybe", 2, [True]):
        resp = tenant.put("/promotions/M100", json={"kind": "threshold_amount_off", "threshold": "100",
                                                     "amount": "99", "lock_qty": bad})
        assert resp.status_code == 422, resp.text
        assert [e["field"] for e in resp.json()["errors"]] == ["lock_qty"]
    stored = tenant.ok("get", "/promotions/M100")
    assert (stored["amount"], stored["lock_qty"]) == ("10.00", True)  # nothing stored
    # a PUT replaces every field: omitted = unlocked
    assert promo(tenant, "M100", kind="threshold_amount_off", threshold="100", amount="10")["lock_qty"] is False


def test_admin_form_has_the_lock_checkbox(client: Any) -> None:
    from tests.conftest import signup

    api = signup(client)
    make_shop(api)
    staff = Staff(api)
    page = staff.get("/promotions/new")
    assert 'name="lock_qty"' in page.text
    form = {"code": "PKG", "kind": "bundle", "items": "A 2\nB 1", "price": "25", "active": "true",
            "repeat": "false", "lock_qty": "true"}
    bad = staff.post("/promotions/new", {**form, "price": "-1"})
    assert bad.status_code == 422 and re.search(r'name="lock_qty" value="true"\s+checked', bad.text)
    assert api.get("/promotions/PKG").status_code == 404
    assert staff.post("/promotions/new", form).status_code == 200
    assert api.ok("get", "/promotions/PKG")["lock_qty"] is True
    assert re.search(r'name="lock_qty" value="true"\s+checked', staff.get("/promotions/PKG").text)
    staff.post("/promotions/PKG", {**form, "lock_qty": "false"})  # unticked: only the hidden field
    assert api.ok("get", "/promotions/PKG")["lock_qty"] is False
    client.cookies.clear()


# --- which lines a promotion locks ------------------------------------------------------------


def test_each_kind_locks_the_lines_that_qualified(tenant: TenantAPI) -> None:
    make_shop(tenant)  # A 10.00, B 8.00, C 25.50, GIFT 3.00, CUP 1.00
    buyer = tenant.buyer("C1")
    # without lock_qty nothing is locked
    promo(tenant, "PKG", kind="bundle", items=[{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}], price="25.00")
    assert locks(quote(buyer, ("A", 2), ("B", 1), ("C", 1))) == {"A": None, "B": None, "C": None}

    # bundle: the bundle's items
    promo(tenant, "PKG", kind="bundle", items=[{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}], price="25.00",
          lock_qty=True)
    q = quote(buyer, ("A", 2), ("B", 1), ("C", 1))
    assert locks(q) == {"A": "promotions:PKG", "B": "promotions:PKG", "C": None}
    assert locks(quote(buyer, ("A", 1), ("B", 1))) == {"A": None, "B": None}  # no complete set: no lock
    promo(tenant, "PKG", kind="bundle", items=[{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}], price="25.00",
          active=False)

    # buy X get Y: the bought item, not the gift
    promo(tenant, "B5", kind="buy_x_get_y", sku="B", buy_qty=5, gift_sku="GIFT", gift_qty=1, lock_qty=True)
    q = quote(buyer, ("B", 5), ("C", 1))
    assert locks(q) == {"B": "promotions:B5", "C": None} and gifts(q) == [("GIFT", 1, "0.00")]
    assert locks(quote(buyer, ("B", 4))) == {"B": None}

    # special price: the special-priced line
    promo(tenant, "SPC", kind="special_price", sku="C", price="20.00", lock_qty=True)
    assert locks(quote(buyer, ("C", 2), ("A", 1))) == {"C": "promotions:SPC", "A": None}

    # threshold (order-level): every bought line made the subtotal, so every one is locked;
    # a line locked by a product promotion keeps that lock
    promo(tenant, "M100", kind="threshold_gift", threshold="100", gift_sku="CUP", lock_qty=True)
    q = quote(buyer, ("A", 10), ("C", 1))
    assert locks(q) == {"A": "promotions:M100", "C": "promotions:SPC"} and gifts(q) == [("CUP", 1, "0.00")]
    assert locks(quote(buyer, ("A", 2))) == {"A": None}  # below the threshold: not locked


def test_the_lock_is_kept_on_the_order_and_refuses_a_clerks_change(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "PKG", kind="bundle", items=[{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}], price="25.00",
          lock_qty=True, name="春季套餐")
    buyer = tenant.buyer("C1")
    placed = order(buyer, ("A", 2), ("B", 1), ("C", 2))
    assert placed.status_code == 201, placed.text
    number = placed.json()["number"]
    assert locks(placed.json()) == {"A": "promotions:PKG", "B": "promotions:PKG", "C": None}
    assert locks(tenant.ok("get", f"/orders/{number}")) == locks(placed.json())
    assert locks(buyer.ok("get", f"/orders/{number}")) == locks(placed.json())

    refused = edit(tenant, number, ("A", 4))
    assert refused.status_code == 422 and codes(refused) == ["quantity_locked"], refused.text
    assert qty_of(tenant, number) == {"A": 2, "B": 1, "C": 2}
    # the unlocked line may change; the locks stay
    changed = edit(tenant, number, ("C", 1))
    assert changed.status_code == 200, changed.text
    assert qty_of(tenant, number) == {"A": 2, "B": 1, "C": 1}
    assert locks(changed.json()) == {"A": "promotions:PKG", "B": "promotions:PKG", "C": None}
    assert totals(changed.json()) == ("53.50", "3.00", "50.50")  # 20 + 8 + 25.50, bundle saves 3.00


def test_cart_page_says_which_lines_will_be_locked(web: Any, tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "PKG", kind="bundle", items=[{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}], price="25.00",
          lock_qty=True, name="春季套餐")
    promo(tenant, "SPC", kind="special_price", sku="C", price="20.00", lock_qty=True)
    tenant.buyer("C1", email="c1@lock.test")
    web_login(web, tenant.slug, "c1@lock.test")
    web.cookies.set("qd_lang", "en")

    def add(sku: str, qty: int) -> None:
        resp = web.post(f"/t/{tenant.slug}/cart/add", data={"sku": sku, "qty": str(qty),
                                                             "_csrf_token": csrf_of(web)},
                        headers={"HX-Request": "true"})
        assert resp.status_code == 200, resp.text

    add("A", 2)
    add("CUP", 1)
    html = web.get(f"/t/{tenant.slug}/cart").text
    assert 'id="locked-A"' not in html  # no complete bundle yet
    add("B", 1)
    add("C", 1)
    html = web.get(f"/t/{tenant.slug}/cart").text
    for sku in ("A", "B"):
        note = re.search(rf'id="locked-{sku}">(.*?)</div>', html, re.S)
        assert note and "Quantity locked by promotion 春季套餐 once ordered" in note.group(1)
    note = re.search(r'id="locked-C">(.*?)</div>', html, re.S)
    assert note and "Quantity locked by promotion 特价 20.00 once ordered" in note.group(1)  # its label
    assert 'id="locked-CUP"' not in html


# --- purchase limits on an edited order ------------------------------------------------------


def test_an_edit_may_not_exceed_the_purchase_limit_per_order(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "SP", kind="special_price", sku="A", price="5.00", limit_per_order=5)
    buyer = tenant.buyer("C1")
    placed = order(buyer, ("A", 3), ("B", 1))
    assert placed.status_code == 201
    number = placed.json()["number"]
    refused = edit(tenant, number, ("A", 6))
    assert refused.status_code == 422 and codes(refused) == ["purchase_limit"], refused.text
    assert "5" in refused.json()["violations"][0]["message"]
    assert qty_of(tenant, number) == {"A": 3, "B": 1}  # nothing changed
    assert tenant.ok("get", "/stock/A")[0]["reserved"] == 3
    ok = edit(tenant, number, ("A", 5))
    assert ok.status_code == 200, ok.text
    assert totals(ok.json()) == ("33.00", "0.00", "33.00")  # 5 × 5.00 + 8.00
    assert tenant.ok("get", "/promotions/SP")["discount_given"] == "25.00"  # 5 × (10.00 - 5.00)


def test_an_edit_counts_the_customers_other_orders_not_this_one(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "SP", kind="special_price", sku="A", price="5.00", limit_per_customer=6)
    buyer = tenant.buyer("C1")
    first = order(buyer, ("A", 4)).json()["number"]
    second = order(buyer, ("A", 2)).json()["number"]
    # the other order has 4: this one may have 2, not 3
    refused = edit(tenant, second, ("A", 3))
    assert refused.status_code == 422 and codes(refused) == ["purchase_limit"], refused.text
    assert qty_of(tenant, second) == {"A": 2}
    # this order's own 4 do not count against it: 2 elsewhere + 3 here = 5 <= 6
    assert edit(tenant, first, ("A", 3)).status_code == 200
    # the edit is what counts from now on: 3 + 2 = 5 used, 1 left
    q = quote(buyer, ("A", 2))
    assert [v["code"] for v in q["violations"]] == ["promotion_limit_exceeded"]
    assert "还可购买 1 件" in q["violations"][0]["message"]
    assert order(buyer, ("A", 1)).status_code == 201


def test_an_edit_gives_back_or_takes_a_promotion_use(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "M100", kind="threshold_amount_off", threshold="100", amount="10", uses_limit=1)
    first = tenant.buyer("C1")
    second = tenant.buyer("C2")
    placed = order(first, ("B", 15))  # 120.00: 10 off, the only use
    assert placed.status_code == 201 and placed.json()["discount"] == "10.00"
    number = placed.json()["number"]
    assert tenant.ok("get", "/promotions/M100")["used"] == 1
    assert order(second, ("B", 15)).json()["discount"] == "0.00"  # used up
    # the clerk takes the order below the threshold: the discount and its use go back
    lowered = edit(tenant, number, ("B", 10))
    assert lowered.status_code == 200 and totals(lowered.json()) == ("80.00", "0.00", "80.00")
    view = tenant.ok("get", "/promotions/M100")
    assert (view["used"], view["orders"], view["discount_given"]) == (0, 0, "0.00")
    # above it again: the order takes a use like a placement
    raised = edit(tenant, number, ("B", 13))
    assert raised.status_code == 200 and raised.json()["discount"] == "10.00"
    view = tenant.ok("get", "/promotions/M100")
    assert (view["used"], view["orders"], view["discount_given"]) == (1, 1, "10.00")
