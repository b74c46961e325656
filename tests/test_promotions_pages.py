"""Promotions pages: admin list/report, create, edit, pause, simulator; the buyer's list."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSWORD, signup
from tests.test_admin_common import Staff, text_of
from tests.test_promotions_api import make_shop, promo


def test_admin_promotion_pages(client: Any) -> None:
    api = signup(client)
    make_shop(api)
    api.buyer("G1", tier="gold")
    client.cookies.clear()
    staff = Staff(api)
    menu = staff.get("")
    assert "/admin/promotions" in menu.text  # the admin menu has the plugin's entry
    empty = staff.get("/promotions")
    assert empty.status_code == 200 and 'id="promotions"' not in empty.text

    # create through the form, with a bad value first: nothing stored, the form comes back
    form = {"code": "M100", "kind": "threshold_amount_off", "threshold": "100", "amount": "-20",
            "repeat": "false", "active": "true", "tiers": "gold"}
    bad = staff.post("/promotions/new", form)
    assert bad.status_code == 422 and "must not be negative" in bad.text and 'value="100"' in bad.text
    assert api.get("/promotions/M100").status_code == 404
    ok = staff.post("/promotions/new", {**form, "amount": "20"})
    assert ok.status_code == 200 and 'class="flash ok"' in ok.text
    stored = api.ok("get", "/promotions/M100")
    assert (stored["amount"], stored["tiers"], stored["active"]) == ("20.00", ["gold"], True)
    again = staff.post("/promotions/new", {**form, "amount": "20"})
    assert again.status_code == 422 and "already exists" in again.text

    # edit: the form shows the stored values; saving replaces them
    edit = staff.get("/promotions/M100")
    assert edit.status_code == 200 and 'value="20.00"' in edit.text and 'value="gold"' in edit.text
    staff.post("/promotions/M100", {**form, "amount": "25", "tiers": "", "starts_at": "2030-01-01T09:00"})
    stored = api.ok("get", "/promotions/M100")
    assert (stored["amount"], stored["tiers"], stored["starts_at"]) == ("25.00", [], "2030-01-01T09:00:00+08:00")
    assert staff.get("/promotions/NOPE").status_code == 404

    # pause and resume
    listing = staff.post("/promotions/M100/toggle")
    assert 'class="flash ok"' in listing.text and api.ok("get", "/promotions/M100")["active"] is False
    assert 'data-status="paused"' in listing.text
    staff.post("/promotions/M100/toggle")
    assert api.ok("get", "/promotions/M100")["active"] is True

    # the simulator prices a cart as a chosen customer, and stores nothing
    promo(api, "GOLD5", kind="threshold_percent_off", threshold="0", percent="5", tiers=["gold"])
    page = staff.get("/promotions/simulate")
    assert page.status_code == 200 and "G1" in page.text
    sim = staff.post("/promotions/simulate", {"customer": "G1", "lines": "A 10\nB 2", "coupon": ""})
    assert sim.status_code == 200, sim.text
    text = text_of(sim.text)
    assert "116.00" in text and "5.80" in text and "110.20" in text  # 5 % for gold
    sim = staff.post("/promotions/simulate", {"customer": "", "lines": "A 10"})
    assert 'id="sim-total">100.00<' in sim.text  # no customer: untargeted only
    assert staff.post("/promotions/simulate", {"customer": "NOPE", "lines": "A 1"}).status_code == 422
    assert staff.post("/promotions/simulate", {"customer": "", "lines": "A lots"}).status_code == 422
    assert api.ok("get", "/stock/A")[0]["reserved"] == 0

    # off: the pages are gone
    api.ok("put", "/plugins/promotions", {"enabled": False})
    assert staff.get("/promotions", follow_redirects=False).status_code == 404
    client.cookies.clear()


def test_buyers_see_their_promotions_and_not_the_admin(client: Any) -> None:
    api = signup(client)
    make_shop(api)
    promo(api, "ALL", kind="threshold_amount_off", threshold="100", amount="10", name="满100减10")
    promo(api, "GOLDONLY", kind="threshold_amount_off", threshold="100", amount="15", tiers=["gold"],
          name="Gold deal")
    promo(api, "SECRET", kind="coupon", amount="5", name="Secret coupon")
    api.buyer("C1", email="c1@shop.test")
    client.cookies.clear()
    client.get(f"/t/{api.slug}/login")
    resp = client.post(f"/t/{api.slug}/login", data={"email": "c1@shop.test", "password": PASSWORD,
                                                      "_csrf_token": client.cookies.get("qd_csrf") or ""},
                       follow_redirects=False)
    assert resp.status_code in (302, 303), resp.text
    page = client.get(f"/t/{api.slug}/promotions")
    assert page.status_code == 200
    assert "满100减10" in page.text and "Gold deal" not in page.text and "Secret coupon" not in page.text
    assert client.get(f"/t/{api.slug}/admin/promotions").status_code == 403
    client.cookies.clear()
