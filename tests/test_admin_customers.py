# ruff: noqa: F811
"""Admin customer and tier pages: list, tree, form errors (422, nothing stored), buyer logins."""

from __future__ import annotations

from tests.conftest import PASSWORD
from tests.test_admin_common import Staff, staff, text_of  # noqa: F401


def test_customer_form_tree_and_logins(staff: Staff) -> None:
    staff.api.ok("put", "/warehouses/W1", {"name": "Main"})
    staff.post("/tiers/new", {"code": "GOLD", "name": "Gold"})
    resp = staff.post("/customers/new", {"code": "D1", "name": "华东经销商", "type": "l1_distributor", "tier": "GOLD",
                                         "parent": "", "region": "上海/上海/浦东", "warehouse": "W1",
                                         "status": "active"})
    assert resp.status_code == 200, resp.text
    staff.post("/customers/new", {"code": "S1", "name": "Store One", "type": "store", "tier": "",
                                  "parent": "D1", "region": "", "warehouse": "", "status": "active"})
    view = staff.api.ok("get", "/customers/S1")
    assert view["parent"] == "D1" and view["type"] == "store"
    staff.post("/customers/D1", {"name": "华东经销商", "type": "l1_distributor", "tier": "GOLD", "parent": "",
                                 "region": "上海/上海/浦东", "warehouse": "W1", "status": "active", "groups": "华东, VIP",
                                 "addresses": "张三 | 13800000000 | 上海市浦东新区 1 号\n仓库门口"})
    form = staff.get("/customers/D1").text
    assert "张三 | 13800000000 | 上海市浦东新区 1 号" in form and "仓库门口" in form and 'value="华东, VIP"' in form
    assert staff.api.ok("get", "/customers/D1")["tier"] == "GOLD"
    tree = staff.get("/customers/tree").text
    assert tree.index("D1") < tree.index("S1")
    assert "S1" in staff.get("/customers", params={"q": "store"}).text
    assert "S1" not in staff.get("/customers", params={"q": "nothing"}).text
    # a cycle is refused with the field named; nothing stored
    resp = staff.post("/customers/D1", {"name": "华东经销商", "type": "l1_distributor", "tier": "GOLD",
                                        "parent": "S1", "region": "", "warehouse": "W1", "status": "active"})
    assert resp.status_code == 422 and "cycle" in resp.text and 'data-field="parent"' in resp.text
    assert staff.api.ok("get", "/customers/D1")["parent"] is None
    # buyer login: a short password is refused, then a good one works
    resp = staff.post("/customers/S1/users", {"email": "buyer@s1.test", "password": "short"})
    assert resp.status_code == 422
    staff.post("/customers/S1/users", {"email": "buyer@s1.test", "password": PASSWORD, "name": "Li"})
    assert "buyer@s1.test" in staff.get("/customers/S1").text
    staff.api.as_user("buyer@s1.test")


def test_bad_customer_input(staff: Staff) -> None:
    resp = staff.post("/customers/new", {"code": "C9", "name": "", "type": "alien", "tier": "NOPE",
                                         "parent": "NOPE", "region": "", "warehouse": "NOPE", "status": "zzz"})
    assert resp.status_code == 422
    text = text_of(resp.text)
    for word in ("unknown tier", "unknown customer", "unknown warehouse", "must be one of"):
        assert word in text, word
    assert staff.api.get("/customers/C9").status_code == 404
    staff.post("/customers/new", {"code": "C9", "name": "Nine", "type": "store", "status": "active"})
    resp = staff.post("/customers/new", {"code": "C9", "name": "Nine again", "type": "store", "status": "active"})
    assert resp.status_code == 422 and "already exists" in resp.text
    assert staff.get("/customers/NOPE").status_code == 404


def test_tiers(staff: Staff) -> None:
    assert staff.post("/tiers/new", {"code": "", "name": "x"}).status_code == 422
    staff.post("/tiers/new", {"code": "T1", "name": "One"})
    assert staff.post("/tiers/T1", {"name": ""}).status_code == 422
    staff.post("/tiers/T1", {"name": "Uno"})
    assert "Uno" in staff.get("/tiers").text
