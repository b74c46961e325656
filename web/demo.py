"""The demo brand (``qudao demo``) and small CLI helpers that need a database session.

Lives in ``web`` because placing the demo orders goes through the same checkout
code and plugin host as a real buyer.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from qudao.core.auth.models import User
from qudao.core.auth.passwords import hash_password
from qudao.core.catalog.media import save_image
from qudao.core.catalog.models import Category
from qudao.core.catalog.service import upsert_brand, upsert_product
from qudao.core.config import Settings
from qudao.core.customers.models import Customer
from qudao.core.customers.service import upsert_buyer, upsert_customer, upsert_tier
from qudao.core.db.session import Database, bind_tenant
from qudao.core.inventory.models import Warehouse
from qudao.core.inventory.service import set_on_hand, upsert_warehouse
from qudao.core.orders.models import OrderEvent
from qudao.core.orders.service import change_status, place_order
from qudao.core.plugins.host import get_host
from qudao.core.pricing.service import set_breaks, set_customer_price, set_tier_price
from qudao.tenants.models import PlatformOperator, Tenant
from qudao.tenants.provisioning import SignupInput, create_tenant
from qudao.web.demo_images import product_pictures

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-password-123"

BRANDS = [("shanquan", "山泉饮品"), ("chayu", "茶语"), ("maixiang", "麦香食品")]
# sku, name, brand, category, unit, spec, base price, retail price
PRODUCTS = [
    ("SQ-W550", "山泉天然饮用水 550ml×24", "shanquan", "drinks", "箱", "550ml×24瓶", "24.00", "36.00"),
    ("SQ-W1500", "山泉天然饮用水 1.5L×12", "shanquan", "drinks", "箱", "1.5L×12瓶", "26.00", "39.60"),
    ("SQ-S330", "山泉苏打水 330ml×24", "shanquan", "drinks", "箱", "330ml×24罐", "48.00", "72.00"),
    ("SQ-J450", "山泉橙汁 450ml×15", "shanquan", "drinks", "箱", "450ml×15瓶", "52.50", "75.00"),
    ("SQ-C500", "山泉气泡水 白桃味 500ml×15", "shanquan", "drinks", "箱", "500ml×15瓶", "55.00", "82.50"),
    ("CY-WL500", "茶语乌龙茶 500ml×15", "chayu", "tea", "箱", "500ml×15瓶", "45.00", "67.50"),
    ("CY-LC500", "茶语绿茶 500ml×15", "chayu", "tea", "箱", "500ml×15瓶", "42.00", "63.00"),
    ("CY-HC500", "茶语红茶 500ml×15", "chayu", "tea", "箱", "500ml×15瓶", "42.00", "63.00"),
    ("CY-MLC", "茶语茉莉花茶 500ml×15", "chayu", "tea", "箱", "500ml×15瓶", "44.00", "66.00"),
    ("CY-PE250", "茶语普洱茶饼 357g", "chayu", "tea", "饼", "357g", "128.00", "198.00"),
    ("CY-TG250", "茶语铁观音礼盒 250g", "chayu", "tea", "盒", "250g", "168.00", "258.00"),
    ("MX-BG12", "麦香全麦面包 400g×12", "maixiang", "bakery", "箱", "400g×12袋", "60.00", "94.80"),
    ("MX-SQ20", "麦香苏打饼干 100g×20", "maixiang", "snacks", "箱", "100g×20包", "36.00", "56.00"),
    ("MX-YM24", "麦香燕麦片 1kg×6", "maixiang", "breakfast", "箱", "1kg×6袋", "96.00", "149.40"),
    ("MX-DH30", "麦香蛋黄酥 55g×30", "maixiang", "snacks", "箱", "55g×30枚", "75.00", "117.00"),
    ("MX-YB10", "麦香月饼礼盒 (6枚装)", "maixiang", "gifts", "盒", "6枚×75g", "88.00", "158.00"),
    ("MX-MT24", "麦香麻花 200g×24", "maixiang", "snacks", "箱", "200g×24袋", "66.00", "103.20"),
    ("MX-GZ12", "麦香桂圆红枣粥 280g×12", "maixiang", "breakfast", "箱", "280g×12罐", "48.00", "72.00"),
]
CATEGORIES = {"drinks": "饮用水·饮料", "tea": "茶饮·茶叶", "bakery": "烘焙面包", "snacks": "休闲零食",
              "breakfast": "早餐谷物", "gifts": "节日礼盒"}
ORDER_MULTIPLES = {"CY-PE250": 7, "MX-YB10": 6}  # a 提 of seven tea cakes; mooncake boxes by the half dozen
# sku: [(from qty, price)] volume prices for everyone
PRICE_BREAKS = {"SQ-W550": [(20, "22.80"), (50, "21.60")], "CY-WL500": [(30, "42.00")], "MX-DH30": [(10, "70.00")]}
TIERS = [("l1", "一级经销商"), ("l2", "二级经销商"), ("store", "门店")]
TIER_DISCOUNT = {"l1": Decimal("0.88"), "l2": Decimal("0.93"), "store": Decimal("1.00")}
CUSTOMERS = [
    # code, name, type, tier, region, parent
    ("SH-001", "上海浦东华联贸易有限公司", "l1_distributor", "l1", "上海/浦东新区", None),
    ("SH-002", "上海闵行惠民批发部", "l2_distributor", "l2", "上海/闵行区", "SH-001"),
    ("SH-101", "徐汇区好邻居便利店", "store", "store", "上海/徐汇区", "SH-002"),
    ("HZ-001", "杭州西湖鑫源商贸", "l1_distributor", "l1", "浙江/杭州/西湖区", None),
    ("HZ-101", "杭州拱墅区如意超市", "store", "store", "浙江/杭州/拱墅区", "HZ-001"),
    ("SZ-KA1", "苏州万家福连锁超市", "key_account", "l2", "江苏/苏州/姑苏区", None),
]


async def ensure_demo(settings: Settings, *, only_if_empty: bool) -> dict[str, str]:
    """Create the demo brand; with ``only_if_empty`` do nothing once any brand exists."""
    db = Database(settings.database_url, settings.db_app_role)
    try:
        async with db.sessions() as session:
            if only_if_empty and await session.scalar(select(Tenant.id).limit(1)) is not None:
                return {}
            if await session.scalar(select(Tenant.id).where(Tenant.slug == DEMO_SLUG)) is not None:
                return _logins()
        await _build(db)
    finally:
        await db.dispose()
    return _logins()


def _logins() -> dict[str, str]:
    return {
        "storefront": "{base}/t/demo/",
        "admin": "{base}/t/demo/admin",
        "admin login": f"admin@demo.qudao.test / {DEMO_PASSWORD}",
        "buyer login": f"buyer@sh-001.test / {DEMO_PASSWORD}",
        "store login": f"buyer@sh-101.test / {DEMO_PASSWORD}",
    }


async def _build(db: Database) -> None:
    from qudao.core.plugins.context import TenantContext

    async with db.sessions() as s:
        tenant, owner = await create_tenant(s, SignupInput("渠道示范品牌 Demo Brand", DEMO_SLUG,
                                                           "admin@demo.qudao.test", DEMO_PASSWORD))
        for code, name in BRANDS:
            await upsert_brand(s, code, {"name": name})
        await upsert_warehouse(s, "SH", {"name": "上海总仓"})
        hz, _ = await upsert_warehouse(s, "HZ", {"name": "杭州分仓"})
        for code, name in TIERS:
            await upsert_tier(s, code, {"name": name})
        for sku, name, brand, category, unit, spec, price, retail in PRODUCTS:
            product, _ = await upsert_product(s, sku, {
                "name": name, "brand": brand, "category": category, "unit": unit, "spec": spec,
                "price": price, "retail_price": retail, "featured": sku.endswith(("W550", "WL500", "DH30")),
                "description": f"{name}，{spec}。厂家直供，支持整箱订货。",
                "order_multiple": ORDER_MULTIPLES.get(sku, 1),
            }, currency="CNY", user_id=owner.id)
            product.images = [save_image(tenant.id, picture) for picture in product_pictures(name, unit)]
            wh_sh = await s.scalar(select(Warehouse).where(Warehouse.code == "SH"))
            assert wh_sh is not None
            await set_on_hand(s, wh_sh, product.id, 400 + (len(sku) * 37) % 300, user_id=owner.id,
                              kind="receipt", note="期初库存")
            await set_on_hand(s, hz, product.id, 200 + (len(name) * 13) % 120, user_id=owner.id,
                              kind="receipt", note="期初库存")
            for tier, factor in TIER_DISCOUNT.items():
                if factor != 1:
                    await set_tier_price(s, tier, sku, {"price": str((Decimal(price) * factor).quantize(Decimal("0.01")))},
                                         currency="CNY", user_id=owner.id)
        for category in (await s.scalars(select(Category))).all():
            category.name = CATEGORIES.get(category.code, category.name)
        for sku, breaks in PRICE_BREAKS.items():
            await set_breaks(s, sku, {"breaks": [{"min_qty": q, "price": p} for q, p in breaks]}, currency="CNY",
                             user_id=owner.id)
        for code, name, ctype, tier, region, parent in CUSTOMERS:
            await upsert_customer(s, code, {"name": name, "type": ctype, "tier": tier, "region": region,
                                            "parent": parent, "warehouse": "HZ" if code.startswith("HZ") else "SH"})
            await upsert_buyer(s, code, f"buyer@{code.lower()}.test", {"password": DEMO_PASSWORD, "name": name[:8]})
        await set_customer_price(s, "SZ-KA1", "CY-WL500", {"price": "39.80"}, currency="CNY", user_id=owner.id)
        for email, role in (("clerk@demo.qudao.test", "order_clerk"), ("warehouse@demo.qudao.test", "warehouse")):
            s.add(User(email=email, name=role, password_hash=hash_password(DEMO_PASSWORD), kind="staff", role=role))
        await s.commit()
        tenant_id = tenant.id

    host = get_host()
    for i, (code, lines, flow, days_ago) in enumerate(_demo_orders()):
        async with db.sessions() as s:
            await bind_tenant(s, tenant_id)
            tenant = await s.get(Tenant, tenant_id)
            buyer = await s.scalar(select(User).where(User.email == f"buyer@{code.lower()}.test"))
            customer = await s.scalar(select(Customer).where(Customer.code == code))
            ctx = TenantContext(tenant=tenant, session=s, hooks=host.hooks_for(frozenset()),  # type: ignore[arg-type]
                                user=buyer, customer=customer)
            order, _ = await place_order(ctx, {"lines": [{"sku": k, "qty": q} for k, q in lines],
                                               "note": "示范订单"}, f"demo-{i}")
            staff = await s.scalar(select(User).where(User.role == "owner"))
            for status in flow:
                ctx.user = staff if status != "received" else buyer
                await change_status(ctx, order, status, "示范流程")
            if days_ago:  # a history for the dashboard and reports: the order as placed that day
                shift = timedelta(days=days_ago, hours=(days_ago * 7) % 9)
                order.created_at = order.created_at - shift
                for event in (await s.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id))).all():
                    event.at = event.at - shift
                await s.commit()


def _demo_orders() -> list[tuple[str, list[tuple[str, int]], list[str], int]]:
    """Today's four orders to work on, and about two months of past orders (a fixed seed)."""
    today = [("SH-001", [("SQ-W550", 20), ("CY-WL500", 10), ("MX-DH30", 5)], ["approved", "picking", "shipped"], 0),
             ("SH-101", [("SQ-S330", 3), ("CY-LC500", 2)], [], 0),
             ("HZ-001", [("CY-TG250", 6), ("MX-YB10", 12)], ["approved"], 0),
             ("SZ-KA1", [("CY-WL500", 30), ("SQ-J450", 8)], ["approved", "picking", "shipped", "delivered",
                                                                "received"], 0)]
    rng = random.Random(2026)
    past = []
    done = ["approved", "picking", "shipped", "delivered", "received"]
    for days_ago in range(1, 58):
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
            code = rng.choice([c[0] for c in CUSTOMERS])
            picks = rng.sample(PRODUCTS, rng.randint(1, 4))
            lines = [(p[0], ORDER_MULTIPLES[p[0]] * rng.randint(1, 2) if p[0] in ORDER_MULTIPLES
                      else rng.randint(1, 5)) for p in picks]
            flow = done if days_ago > 6 else rng.choice([[], ["approved"], done[:3]])
            past.append((code, lines, flow, days_ago))
    return today + past


async def list_tenants(settings: Settings) -> list[tuple[str, str, datetime]]:
    db = Database(settings.database_url, settings.db_app_role)
    try:
        async with db.sessions() as s:
            rows = (await s.execute(select(Tenant.slug, Tenant.name, Tenant.created_at).order_by(Tenant.slug))).all()
            return [(r[0], r[1], r[2]) for r in rows]
    finally:
        await db.dispose()


async def create_tenant_cli(settings: Settings, slug: str, name: str, email: str, password: str) -> None:
    db = Database(settings.database_url, settings.db_app_role)
    try:
        async with db.sessions() as s:
            await create_tenant(s, SignupInput(name, slug, email, password))
            await s.commit()
    finally:
        await db.dispose()


async def create_operator(settings: Settings, email: str, password: str) -> Any:
    db = Database(settings.database_url, settings.db_app_role)
    try:
        async with db.sessions() as s:
            s.add(PlatformOperator(email=email.strip().lower(), password_hash=hash_password(password)))
            await s.commit()
    finally:
        await db.dispose()
