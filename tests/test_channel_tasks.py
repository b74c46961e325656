"""Channel tasks: publish → answer with a photo → review → completion rates; bad input; reminders."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import PASSWORD, TenantAPI, web_login
from tests.test_wechat_alerts import fake  # noqa: F401 - the fake WeChat fixture
from tests.test_wechat_plugin import BUYER_OPENID, bind_oauth, configure
from tests.wechat_support import OAuthFakeWeChat, sql, wait_for_jobs


def today() -> str:
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()


def photo(fmt: str = "JPEG", size: tuple[int, int] = (64, 48)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, fmt)
    return buf.getvalue()


def shop(t: TenantAPI) -> dict[str, TenantAPI]:
    t.ok("put", "/plugins/channel_tasks", {"enabled": True})
    t.ok("put", "/tiers/GOLD", {"name": "Gold"})
    t.ok("put", "/products/SKU-X", {"name": "X", "price": "5.00"})
    t.ok("put", "/staff/rep1@x.test", {"role": "sales_rep", "password": PASSWORD})
    return {
        "A": t.buyer("A", region="华东/上海", type="store", tier="GOLD", groups=["新品"], sales_rep="rep1@x.test"),
        "B": t.buyer("B", region="华东/杭州", type="store"),
        "C": t.buyer("C", region="华北/北京", type="l1_distributor", groups=["新品"]),
    }


def publish(t: TenantAPI, **body: Any) -> dict[str, Any]:
    base = {"title": "新陈列拍照", "body": "Put the new display up and send a photo.", "due_date": today(),
            "ask_text": True, "min_photos": 1, "numbers": [{"label": "Stock", "sku": "SKU-X"}],
            "audience": {"regions": ["华东"], "types": ["store"]}}
    return t.ok("post", "/channel-tasks", {**base, **body}, status=201)


def answer(buyer: TenantAPI, assignment: int, *, text: str = "Done", numbers: tuple[str, ...] = ("12",),
           photos: list[tuple[str, bytes, str]] | None = None) -> Any:
    data = {"text": text, **{f"number_{i}": n for i, n in enumerate(numbers)}}
    files = [("photos", p) for p in (photos if photos is not None else [("shelf.jpg", photo(), "image/jpeg")])]
    return buyer.client.post(buyer.url(f"/channel-tasks/assignments/{assignment}/answer"), data=data, files=files,
                             headers=buyer.headers)


def assignment_of(buyer: TenantAPI) -> int:
    return buyer.ok("get", "/channel-tasks/mine")["items"][0]["id"]


def test_publish_answer_with_photo_review_and_completion_rate(tenant: TenantAPI) -> None:
    buyers = shop(tenant)
    task = publish(tenant)
    assert sorted(a["customer"] for a in task["assignments"]) == ["A", "B"]  # 华东 stores only
    assert buyers["C"].ok("get", "/channel-tasks/mine")["items"] == []
    a_id = assignment_of(buyers["A"])
    resp = answer(buyers["A"], a_id)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "submitted" and body["numbers"][0]["value"] == "12" and len(body["photos"]) == 1
    shot = buyers["A"].client.get(body["photos"][0], headers=buyers["A"].headers)
    assert shot.status_code == 200 and shot.headers["content-type"] == "image/jpeg" and shot.content == photo()
    assert buyers["B"].client.get(body["photos"][0], headers=buyers["B"].headers).status_code == 404
    # staff send B's answer back, then accept A's
    b_id = assignment_of(buyers["B"])
    assert answer(buyers["B"], b_id, photos=[("p.png", photo("PNG"), "image/png")]).status_code == 200
    assert tenant.post(f"/channel-tasks/assignments/{b_id}/review", json={"decision": "return"}).status_code == 422
    returned = tenant.ok("post", f"/channel-tasks/assignments/{b_id}/review",
                         {"decision": "return", "comment": "The photo is too dark"})
    assert returned["status"] == "returned"
    tenant.ok("post", f"/channel-tasks/assignments/{a_id}/review", {"decision": "accept"})
    assert tenant.post(f"/channel-tasks/assignments/{a_id}/review",
                       json={"decision": "accept"}).status_code == 409  # reviewed already
    detail = tenant.ok("get", f"/channel-tasks/{task['id']}")
    assert detail["completion_rate"] == "50.0" and detail["counts"]["returned"] == 1
    assert detail["regions"] == [{"region": "华东", "total": 2, "accepted": 1, "answered": 1,
                                  "completion_rate": "50.0"}]
    # the buyer answers again after it was sent back; the accepted one cannot change
    assert answer(buyers["B"], b_id, photos=[]).status_code == 200  # keeps the photo sent before
    assert answer(buyers["A"], a_id).status_code == 409
    listed = tenant.ok("get", "/channel-tasks")["items"][0]
    assert listed["counts"] == {"open": 0, "submitted": 1, "accepted": 1, "returned": 0}
    # the counted stock is offered to other plugins through qudao_reported_stock
    assert detail["assignments"][0]["numbers"][0]["sku"] == "SKU-X"
    # a sales rep reviews only their own customers' answers
    rep = tenant.as_user("rep1@x.test")
    assert rep.post(f"/channel-tasks/assignments/{b_id}/review", json={"decision": "accept"}).status_code == 404
    assert [a["customer"] for a in rep.ok("get", f"/channel-tasks/{task['id']}")["assignments"]] == ["A"]


def test_bad_input_is_refused_and_nothing_is_stored(tenant: TenantAPI) -> None:
    buyers = shop(tenant)

    def refused(status: int = 422, **body: Any) -> list[str]:
        resp = tenant.post("/channel-tasks", json={"title": "T", "due_date": today(), "audience": {"everyone": True},
                                                   **body})
        assert resp.status_code == status, resp.text
        return [e["field"] for e in resp.json().get("errors", [])]

    yesterday = (datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)).isoformat()
    assert refused(due_date=yesterday) == ["due_date"]
    assert refused(due_date="31/12/2026") == ["due_date"]
    assert refused(title="") == ["title"]
    assert refused(audience={}) == ["audience"]
    assert refused(audience={"regions": ["火星"]}) == ["audience.regions"]
    assert refused(audience={"tiers": ["NOPE"]}) == ["audience.tiers"]
    assert refused(audience={"tags": ["nobody"]}) == ["audience.tags"]
    assert refused(audience={"customers": ["ZZZ"]}) == ["audience.customers"]
    assert refused(audience={"types": ["king"]}) == ["audience.types"]
    assert refused(audience={"regions": ["华北"], "types": ["store"]}) == ["audience"]  # nobody is both
    assert refused(numbers=[{"label": "Stock", "sku": "NOPE"}]) == ["numbers[0].sku"]
    assert refused(min_photos=9) == ["min_photos"]
    assert tenant.ok("get", "/channel-tasks")["items"] == []
    task = publish(tenant, audience={"tags": ["新品"], "customers": ["B"]})
    assert sorted(a["customer"] for a in task["assignments"]) == ["A", "B", "C"]
    a_id = assignment_of(buyers["A"])

    def bad_answer(buyer: TenantAPI, assignment: int, status: int = 422, **kw: Any) -> list[str]:
        resp = answer(buyer, assignment, **kw)
        assert resp.status_code == status, resp.text
        return [e["field"] for e in resp.json().get("errors", [])]

    assert bad_answer(buyers["A"], a_id, photos=[("x.jpg", b"GIF89a but not really", "image/jpeg")]) == ["photos"]
    assert bad_answer(buyers["A"], a_id, photos=[("x.jpg", b"%PDF-1.4 hello", "image/jpeg")]) == ["photos"]
    big = photo("PNG", (1, 1)) + b"\0" * (9 * 1024 * 1024)
    assert bad_answer(buyers["A"], a_id, photos=[("big.png", big, "image/png")]) == ["photos"]
    assert bad_answer(buyers["A"], a_id, photos=[]) == ["photos"]  # one photo is needed
    assert bad_answer(buyers["A"], a_id, numbers=("2.5",)) == ["numbers[0]"]  # a count is whole
    assert bad_answer(buyers["A"], a_id, numbers=("-1",)) == ["numbers[0]"]
    assert bad_answer(buyers["A"], a_id, text="") == ["text"]
    assert bad_answer(buyers["C"], a_id, status=404) == []  # someone else's task
    assert tenant.get(f"/channel-tasks/{task['id']}").json()["counts"]["open"] == 3
    assert buyers["A"].ok("get", "/channel-tasks/mine")["items"][0]["photos"] == []


def test_overdue_reminder_is_sent_once_a_day(tenant: TenantAPI, fake: OAuthFakeWeChat) -> None:  # noqa: F811
    buyers = shop(tenant)
    configure(tenant)
    bind_oauth(buyers["A"], fake, BUYER_OPENID)
    task = publish(tenant, audience={"customers": ["A", "B"]})
    assert tenant.ok("post", "/channel-tasks/remind")["sent"] == 0  # not overdue yet
    b_id = assignment_of(buyers["B"])
    assert answer(buyers["B"], b_id).status_code == 200  # B answered: no reminder for it
    past = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=2)
    sql("UPDATE channel_tasks_tasks SET due_date = :d WHERE id = :id", d=past, id=task["id"])
    assert tenant.ok("post", "/channel-tasks/remind")["sent"] == 1
    assert tenant.ok("post", "/channel-tasks/remind")["sent"] == 0  # the same day: nothing more
    # the daily trigger (first page view of the day) starts the job; it sends nothing new either
    web_login(tenant.client, tenant.slug, f"owner@{tenant.slug}.test")
    assert tenant.client.get(f"/t/{tenant.slug}/admin/channel-tasks").status_code == 200
    tenant.client.get(f"/t/{tenant.slug}/admin/channel-tasks")
    tenant.client.cookies.clear()
    # the daily CronJob's job for this tenant (`qudao enqueue channel_tasks.remind` sends it)
    from qudao.workers.broker import send

    send("channel_tasks.remind", {"tenant_id": sql("SELECT id FROM tenants WHERE slug = :s", s=tenant.slug)[0][0]})
    wait_for_jobs()
    sent = [m for m in fake.sent if m["template_id"] == "TPL_CUSTOMER_NOTICE"]
    assert [m["touser"] for m in sent] == [BUYER_OPENID]
    assert sent[0]["data"]["thing1"]["value"].startswith("任务逾期")
    detail = tenant.ok("get", f"/channel-tasks/{task['id']}")
    reminded = {a["customer"]: a["reminded"] for a in detail["assignments"]}
    assert reminded == {"A": [today()], "B": []}
    assert len(sql("SELECT day FROM channel_tasks_sweeps")) >= 1


def test_pages_publish_review_and_answer(tenant: TenantAPI, web: Any) -> None:
    buyers = shop(tenant)
    web_login(web, tenant.slug, f"owner@{tenant.slug}.test")
    csrf = web.cookies.get("qd_csrf")
    base = f"/t/{tenant.slug}"
    bad = web.post(f"{base}/admin/channel-tasks", data={"_csrf_token": csrf, "title": "Count", "due_date": "2001-01-01",
                                                        "regions": "华东"})
    assert bad.status_code == 422 and "due_date" in bad.text
    ok = web.post(f"{base}/admin/channel-tasks", data={
        "_csrf_token": csrf, "title": "Count SKU-X", "due_date": today(), "ask_text": "on", "min_photos": "0",
        "numbers": "Stock | SKU-X\nFacings", "regions": "华东", "types": "store"}, follow_redirects=False)
    assert ok.status_code in (302, 303), ok.text[:800]
    page = web.get(ok.headers["location"])
    assert page.status_code == 200 and "Count SKU-X" in page.text and 'id="by-region"' in page.text
    # the plugin's message shows once, in the layout's flash area (it was shown twice: the layout's
    # untranslated copy and the page's own)
    assert page.text.count('class="flash') == 1 and page.text.count("任务已发布") == 1, page.text
    dash = web.get(f"{base}/admin")
    assert 'data-panel="channel_tasks/_admin_panel.html"' in dash.text
    assert buyers["A"].ok("get", "/channel-tasks/mine")["items"][0]["numbers"][1]["label"] == "Facings"


def test_off_means_404(tenant: TenantAPI) -> None:
    assert tenant.get("/channel-tasks").status_code == 404
    assert tenant.client.get(f"/t/{tenant.slug}/channel-tasks", headers=tenant.headers).status_code == 404


def test_dashboard_counts_answers_to_review_and_overdue_customers(tenant: TenantAPI, web: Any) -> None:
    import re

    buyers = shop(tenant)
    task = publish(tenant, audience={"customers": ["A", "B", "C"]})

    def todos() -> dict[str, str]:
        html = web.get(f"/t/{tenant.slug}/admin").text
        found = re.findall(r'<span class="t-count">([0-9,]+)</span><br><span class="t-label">([^<]+)</span>', html)
        return {label: count for count, label in found}

    web_login(web, tenant.slug, f"owner@{tenant.slug}.test")
    assert {"待审核的任务反馈": "0", "逾期未完成的任务": "0"}.items() <= todos().items()
    assert answer(buyers["A"], assignment_of(buyers["A"])).status_code == 200
    past = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)
    sql("UPDATE channel_tasks_tasks SET due_date = :d WHERE id = :id", d=past, id=task["id"])
    counts = todos()
    assert counts["待审核的任务反馈"] == "1"  # A answered, waiting for review
    assert counts["逾期未完成的任务"] == "2"  # B and C never answered, and the task is past due
