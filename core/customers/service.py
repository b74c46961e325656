"""Tiers, customers and buyer logins."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.auth.models import User
from qudao.core.auth.passwords import hash_password, password_problem
from qudao.core.customers.models import CUSTOMER_TYPES, Customer, Tier
from qudao.core.errors import Conflict, InputError, NotFound
from qudao.core.inventory.models import Warehouse
from qudao.core.validation import Fields, check_code, set_given, upsert_named
from qudao.tenants.provisioning import EMAIL_RE


async def upsert_tier(session: AsyncSession, code: str, data: dict[str, Any]) -> tuple[Tier, bool]:
    return await upsert_named(session, Tier, code, data)


async def customer_by_code(session: AsyncSession, code: str) -> Customer:
    customer = await session.scalar(select(Customer).where(Customer.code == code))
    if customer is None:
        raise NotFound(f"no customer with code '{code}'")
    return customer


async def upsert_customer(session: AsyncSession, code: str, data: dict[str, Any]) -> tuple[Customer, bool]:
    check_code(code)
    customer = await session.scalar(select(Customer).where(Customer.code == code))
    f = Fields(data)
    name = f.text("name", required=customer is None)
    region = f.text("region", max_len=200)
    ctype = f.text("type", max_len=20)
    status = f.text("status", max_len=20)
    tier_code = f.text("tier", max_len=64)
    parent_code = f.text("parent", max_len=64)
    warehouse_code = f.text("warehouse", max_len=64)
    rep_email = f.text("sales_rep", max_len=254)
    addresses = _address_list(f, data.get("addresses"))
    can_resell = f.boolean("can_resell")  # channel levels (core/channels)
    direct_from_brand = f.boolean("direct_from_brand")
    groups = data.get("groups")
    if groups is not None and (not isinstance(groups, list) or not all(isinstance(g, str) and len(g) <= 64
                                                                         for g in groups)):
        f.error("groups", "must be a list of group names")
    if ctype is not None and ctype not in CUSTOMER_TYPES:
        f.error("type", f"must be one of {', '.join(CUSTOMER_TYPES)}")
    if status is not None and status not in ("active", "suspended"):
        f.error("status", "must be active or suspended")
    tier = parent = warehouse = None
    if tier_code:
        tier = await session.scalar(select(Tier).where(Tier.code == tier_code))
        if tier is None:
            f.error("tier", f"unknown tier '{tier_code}'")
    if warehouse_code:
        warehouse = await session.scalar(select(Warehouse).where(Warehouse.code == warehouse_code))
        if warehouse is None:
            f.error("warehouse", f"unknown warehouse '{warehouse_code}'")
    rep = None
    if rep_email:
        from qudao.core.auth.models import User

        rep = await session.scalar(select(User).where(User.email == rep_email.lower(), User.kind == "staff"))
        if rep is None:
            f.error("sales_rep", f"no staff login '{rep_email}'")
    if parent_code:
        if parent_code == code:
            f.error("parent", "a customer cannot be its own parent")
        else:
            parent = await session.scalar(select(Customer).where(Customer.code == parent_code))
            if parent is None:
                f.error("parent", f"unknown customer '{parent_code}'")
            elif customer is not None and await _is_descendant(session, parent, customer):
                f.error("parent", f"'{parent_code}' is below '{code}' in the channel tree (a cycle)")
    f.check()
    created = customer is None
    if customer is None:
        customer = Customer(code=code, name=name)
        session.add(customer)
    set_given(customer, name=name, type=ctype, status=status, addresses=addresses, can_resell=can_resell,
              direct_from_brand=direct_from_brand, groups=groups)
    if f.has("region"):  # a null or empty text clears it
        customer.region = region
    for key, attr, row in (("tier", "tier_id", tier), ("parent", "parent_id", parent),
                           ("warehouse", "warehouse_id", warehouse), ("sales_rep", "sales_rep_id", rep)):
        if f.has(key):  # a null or empty code clears the link
            setattr(customer, attr, row.id if row else None)
    await session.flush()
    return customer, created


def _address_list(f: Fields, raw: Any) -> list[dict[str, str]] | None:
    """Delivery addresses: strings or {contact?, phone?, address}; at most 20."""
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) > 20:
        f.error("addresses", "must be a list of at most 20 addresses")
        return None
    out = []
    for i, item in enumerate(raw):
        item = {"address": item} if isinstance(item, str) else item
        if not isinstance(item, dict) or not isinstance(item.get("address"), str) or not item["address"].strip():
            f.error(f"addresses[{i}]", "needs an address")
            continue
        entry = {k: str(item[k])[:500] for k in ("contact", "phone", "address") if item.get(k) is not None}
        out.append(entry)
    return out


async def _is_descendant(session: AsyncSession, node: Customer, ancestor: Customer) -> bool:
    seen: set[int] = set()
    current: Customer | None = node
    while current is not None and current.parent_id is not None and current.id not in seen:
        if current.parent_id == ancestor.id:
            return True
        seen.add(current.id)
        current = await session.get(Customer, (current.tenant_id, current.parent_id))
    return False


async def upsert_buyer(session: AsyncSession, customer_code: str, email: str,
                       data: dict[str, Any]) -> tuple[User, bool]:
    customer = await customer_by_code(session, customer_code)
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        raise InputError("must be a valid email address", field="email")
    problem = password_problem(data.get("password"))
    if problem:
        raise InputError(problem, field="password")
    user = await session.scalar(select(User).where(User.email == email))
    if user is not None and (user.kind != "customer" or user.customer_id != customer.id):
        raise Conflict(f"'{email}' already belongs to another login of this brand")
    created = user is None
    name = data.get("name") if isinstance(data.get("name"), str) else None
    if user is None:
        user = User(email=email, name=name or email.split("@")[0], kind="customer", customer_id=customer.id,
                    password_hash=hash_password(data["password"]))
        session.add(user)
    else:
        user.password_hash = hash_password(data["password"])
        user.session_version += 1
        if name:
            user.name = name
    await session.flush()
    return user, created
