"""Replenishment: the suggestion's arithmetic on a known history, reported stock, rounding, access, cart."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSWORD, TenantAPI, web_login
from tests.test_channel_tasks import today
from tests.wechat_support import sql


def shop(t: TenantAPI) -> TenantAPI:
    t.ok("put", "/plugins/replenishment", {"enabled": True, "settings": {"lead_time_days": 3, "target_days": 14,
                                                                         "history_days": 28}})
    t.ok("put", "/plugins/channel_tasks", {"enabled": True})
    t.ok("put", "/products/P", {"name": "Tea P", "price": "2.00", "pack_unit": "箱", "pack_size": 12, "min_qty": 12})
    t.ok("put", "/products/Q", {"name": "Tea Q", "price": "3.00"})
    t.ok("put", "/products/R", {"name": "Tea R", "price": "4.00"})
    t.ok("put", "/warehouses/W", {"name": "W"})
    for sku in ("P", "Q", "R"):
        t.ok("put", f"/warehouses/W/stock/{sku}", {"on_hand": 10_000})
    return t.buyer("C1", region="华东/上海")


def receive(t: TenantAPI, buyer: TenantAPI, sku: str, qty: int) -> None:
    number = buyer.ok("post", "/orders", {"lines": [{"sku": sku, "qty": qty}]})["number"]
    for status in ("approved", "picking", "shipped", "delivered"):
        t.ok("post", f"/orders/{number}/status", {"status": status})
    buyer.ok("post", f"/orders/{number}/status", {"status": "received"})


def report_stock(t: TenantAPI, buyer: TenantAPI, counts: dict[str, int]) -> None:
    """A channel_tasks stock count answered by the buyer (read through qudao_reported_stock)."""
    t.ok("post", "/channel-tasks", {"title": "Count your stock", "due_date": today(), "ask_text": False,
                                    "numbers": [{"label": f"Stock {s}", "sku": s} for s in counts],
                                    "audience": {"customers": ["C1"]}}, status=201)
    item = buyer.ok("get", "/channel-tasks/mine")["items"][0]
    buyer.ok("post", f"/channel-tasks/assignments/{item['id']}/answer", {"numbers": list(counts.values())})


def lines(api: TenantAPI, code: str = "C1") -> dict[str, dict[str, Any]]:
    return {line["sku"]: line for line in api.ok("get", f"/replenishment/{code}")["lines"]}


def test_suggestion_arithmetic_on_a_known_history(tenant: TenantAPI) -> None:
    buyer = shop(tenant)
    receive(tenant, buyer, "P", 100)
    buyer.ok("post", "/orders", {"lines": [{"sku": "P", "qty": 12}]})  # on its way
    receive(tenant, buyer, "Q", 28)
    receive(tenant, buyer, "R", 10)
    tenant.ok("put", "/products/Q", {"name": "Tea Q", "price": "3.00", "order_multiple": 5, "min_qty": 30})
    report_stock(tenant, buyer, {"P": 30, "R": 100})
    got = lines(tenant)
    p = got["P"]
    # 112 bought in 28 days = 4.0/day; stock 30 counted + 12 on order = 10.5 days; target 4 × (14 + 3) = 68
    assert (p["daily"], p["stock"], p["stock_source"], p["on_order"], p["cover_days"]) == ("4.0", 30, "reported",
                                                                                          12, "10.5")
    assert (p["need"], p["step"], p["suggested_qty"]) == ("26.0", 12, 36)  # 26 → 3 cases of 12
    assert p["explanation"].startswith("sells 4.0/day (purchases), 30 from its last count, 12 on order, "
                                       "10.5 days of cover left, target 14 + 3 days lead time: order 36")
    q = got["Q"]  # 1.0/day, stock unknown: 17 needed, steps of 5 → 20, but at least 30
    assert (q["daily"], q["stock_source"], q["cover_days"], q["need"], q["suggested_qty"]) == ("1.0", "unknown",
                                                                                               "0.0", "17.0", 30)
    assert "stock not reported (counted as 0)" in q["explanation"]
    r = got["R"]  # 100 counted: 280 days at 10/28 a day
    assert (r["daily"], r["suggested_qty"], r["cover_days"]) == ("0.4", 0, "280.0")
    assert r["explanation"].endswith("enough for now")
    # the buyer sees the same for itself, and only for itself
    assert lines(buyer)["P"]["suggested_qty"] == 36
    other = tenant.buyer("C2")
    assert other.get("/replenishment/C1").status_code == 404
    assert other.ok("get", "/replenishment/C2")["lines"] == []
    assert tenant.get("/replenishment/NOPE").status_code == 404
    # a longer target raises the suggestion (settings are the brand's)
    tenant.ok("put", "/plugins/replenishment", {"enabled": True, "settings": {"target_days": 28}})
    assert lines(tenant)["P"]["suggested_qty"] == 84  # 4 × 31 − 42 = 82 → 7 cases


def test_a_rep_sees_only_their_customers(tenant: TenantAPI) -> None:
    buyer = shop(tenant)
    receive(tenant, buyer, "P", 28)
    tenant.ok("put", "/staff/rep9@x.test", {"role": "sales_rep", "password": PASSWORD})
    rep = tenant.as_user("rep9@x.test")
    assert rep.get("/replenishment/C1").status_code == 404
    tenant.ok("put", "/customers/C1", {"name": "C1", "sales_rep": "rep9@x.test"})
    assert rep.ok("get", "/replenishment/C1")["lines"][0]["sku"] == "P"


def test_one_click_puts_the_suggestion_in_the_cart(tenant: TenantAPI, web: Any) -> None:
    buyer = shop(tenant)
    receive(tenant, buyer, "P", 100)
    receive(tenant, buyer, "Q", 28)
    email = "c1-web@buyer.test"
    tenant.ok("put", f"/customers/C1/users/{email}", {"password": PASSWORD})
    web_login(web, tenant.slug, email)
    base = f"/t/{tenant.slug}"
    page = web.get(f"{base}/replenishment")
    assert page.status_code == 200 and 'id="fill-cart"' in page.text
    home = web.get(f"{base}/")
    assert 'data-panel="replenishment/_panel.html"' in home.text
    csrf = web.cookies.get("qd_csrf")
    bad = web.post(f"{base}/replenishment/cart", data={"_csrf_token": csrf, f"qty_{lines(tenant)['P']['product_id']}": "x"})
    assert bad.status_code == 422
    done = web.post(f"{base}/replenishment/cart", data={"_csrf_token": csrf}, follow_redirects=False)
    assert done.status_code in (302, 303) and done.headers["location"].endswith("/cart")
    cart = web.get(f"{base}/cart")
    assert cart.status_code == 200 and "Tea P" in cart.text and "Tea Q" in cart.text
    plan = lines(tenant)

    def in_cart() -> dict[str, int]:
        ids = {line["product_id"]: sku for sku, line in plan.items()}
        rows = [sql("SELECT product_id, qty FROM cart_items WHERE product_id = :p", p=pid) for pid in ids]
        return {ids[row[0][0]]: row[0][1] for row in rows if row}

    assert in_cart() == {"P": plan["P"]["suggested_qty"], "Q": plan["Q"]["suggested_qty"]}
    # once more: the cart holds the suggestion, not twice the suggestion
    web.post(f"{base}/replenishment/cart", data={"_csrf_token": csrf})
    assert in_cart() == {"P": plan["P"]["suggested_qty"], "Q": plan["Q"]["suggested_qty"]}
    web.cookies.clear()
    web_login(web, tenant.slug, f"owner@{tenant.slug}.test")
    staff = web.get(f"{base}/admin/replenishment?customer=C1")
    assert staff.status_code == 200 and 'id="suggestion"' in staff.text and "Tea P" in staff.text


def test_off_means_404(tenant: TenantAPI) -> None:
    tenant.ok("put", "/customers/C1", {"name": "C1"})
    assert tenant.get("/replenishment/C1").status_code == 404


def test_a_distributor_is_planned_from_its_sell_through_and_own_stock(tenant: TenantAPI) -> None:
    from tests.channels_support import build_channel, deliver, stock_dist

    ch = build_channel(tenant)
    tenant.ok("put", "/plugins/replenishment", {"enabled": True})
    stock_dist(ch, 20)  # the distributor bought 20 from the brand and received them
    number = ch.store.ok("post", "/orders", {"lines": [{"sku": "TEA", "qty": 14}]}, status=201)["number"]
    deliver(ch.dist, number, "/reseller/orders")  # shipped to its store: 14 of sell-through
    tea = lines(tenant, "DIST")["TEA"]
    # 14 sold in 28 days = 0.5/day (not the 20 it bought); 6 left in its own warehouse = 12 days
    assert (tea["demand_source"], tea["daily"], tea["stock_source"], tea["stock"], tea["cover_days"]) == (
        "sell-through", "0.5", "warehouse", 6, "12.0")
    assert (tea["need"], tea["suggested_qty"]) == ("2.5", 3)  # 0.5 × 17 − 6 = 2.5 → 3
    store = lines(tenant, "STORE1")["TEA"]  # the store: its own purchases, stock unknown
    assert (store["demand_source"], store["daily"], store["stock_source"]) == ("purchases", "0.5", "unknown")
