"""Connected Stripe accounts of the parties paid out (brand, distributors): onboarding and status."""

from __future__ import annotations

from typing import Any

import stripe
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from qudao.core.customers.models import Customer
from qudao.core.errors import InputError, NotFound
from qudao.core.plugin_api import enqueue_after_commit, utcnow
from qudao.plugins.payments import stripe_client as sc
from qudao.plugins.payments.models import (
    L_PENDING,
    ConnectedAccount,
    SettlementLine,
)
from qudao.plugins.payments.settlement import customer_party


async def resolve_party(ctx: Any, raw: str) -> tuple[str, Customer | None]:
    """``brand``, or a customer (distributor) by ``customer:<code>`` or its plain code."""
    if raw == "brand":
        return "brand", None
    code = raw.split(":", 1)[1] if raw.startswith("customer:") else raw
    customer = await ctx.session.scalar(select(Customer).where(Customer.code == code))
    if customer is None:
        raise NotFound(f"no party '{raw}' (use 'brand' or a customer code)")
    return customer_party(customer.code), customer


def account_view(acct: ConnectedAccount, url: str | None = None) -> dict[str, Any]:
    out = {"party": acct.party, "account": acct.stripe_account_id, "status": acct.status, "email": acct.email,
           "updated_at": acct.updated_at.isoformat()}
    if url is not None:
        out["url"] = url
    return out


async def onboard(ctx: Any, party: str, customer: Customer | None, *, return_url: str, refresh_url: str,
                  email: str | None = None) -> tuple[ConnectedAccount, str, bool]:
    """Create the party's express account (once) and a fresh onboarding link."""
    acct = await ctx.session.scalar(select(ConnectedAccount).where(ConnectedAccount.party == party))
    created = acct is None
    if acct is None:
        acct = ConnectedAccount(party=party, customer_id=customer.id if customer else None, status="pending",
                                email=email)
        ctx.session.add(acct)
        try:
            await ctx.session.commit()
        except IntegrityError:
            await ctx.session.rollback()
            acct = await ctx.session.scalar(select(ConnectedAccount).where(ConnectedAccount.party == party))
            created = False
            assert acct is not None
    else:
        await ctx.session.commit()
    client = sc.client("connect")
    try:
        if acct.stripe_account_id is None:
            params: dict[str, Any] = {
                "type": "express", "capabilities": {"transfers": {"requested": True}},
                "metadata": {"tenant_id": str(ctx.tenant.id), "party": party},
            }
            if email:
                params["email"] = email
            account = await sc.call(lambda: client.v1.accounts.create(
                params, options={"idempotency_key": f"account:{ctx.tenant.id}:{party}:{acct.id}"}))
            await ctx.session.execute(update(ConnectedAccount).where(ConnectedAccount.id == acct.id)
                                      .values(stripe_account_id=account.id, updated_at=utcnow())
                                      .execution_options(synchronize_session=False))
            await ctx.session.commit()
            acct.stripe_account_id = account.id
        link = await sc.call(lambda: client.v1.account_links.create({
            "account": acct.stripe_account_id, "type": "account_onboarding",
            "return_url": return_url, "refresh_url": refresh_url}))
    except stripe.InvalidRequestError as exc:
        raise InputError(str(exc.user_message or exc), field="party") from None
    except stripe.StripeError as exc:
        raise sc.ProviderUnavailable(f"Stripe did not answer: {exc}") from None
    return acct, link.url, created


async def refresh_account(ctx: Any, acct: ConnectedAccount) -> ConnectedAccount:
    """Re-fetch the account; when it becomes able to receive transfers, pay what waited for it."""
    if acct.stripe_account_id is None:
        return acct
    client = sc.client("connect")
    account = await sc.call(lambda: client.v1.accounts.retrieve(acct.stripe_account_id))
    caps = sc.as_dict(getattr(account, "capabilities", None))
    active = caps.get("transfers") == "active" or bool(getattr(account, "payouts_enabled", False))
    status = "active" if active else "pending"
    if status != acct.status:
        await ctx.session.execute(update(ConnectedAccount).where(ConnectedAccount.id == acct.id)
                                  .values(status=status, updated_at=utcnow())
                                  .execution_options(synchronize_session=False))
        acct.status = status
        if active:
            orders = (await ctx.session.scalars(
                select(SettlementLine.order_id).where(SettlementLine.party == acct.party,
                                                      SettlementLine.status == L_PENDING).distinct())).all()
            for order_id in orders:
                enqueue_after_commit(ctx.session, "payments.payout", order_id=order_id)
        await ctx.session.commit()
    return acct


async def active_destination(ctx: Any, party: str) -> str | None:
    acct = await ctx.session.scalar(select(ConnectedAccount).where(ConnectedAccount.party == party)
                                    .execution_options(populate_existing=True))
    if acct is None or acct.stripe_account_id is None:
        return None
    if acct.status != "active":
        acct = await refresh_account(ctx, acct)
    return acct.stripe_account_id if acct.status == "active" else None


async def refreshed_views(ctx: Any) -> list[dict[str, Any]]:
    """Every connected account, each re-read from Stripe when it answers (else as last known)."""
    connected = list((await ctx.session.scalars(select(ConnectedAccount).order_by(ConnectedAccount.party))).all())
    views = []
    for acct in connected:
        try:
            acct = await refresh_account(ctx, acct)
        except Exception:  # noqa: BLE001 - show what we know when Stripe does not answer
            await ctx.session.rollback()
        views.append(account_view(acct))
    return views
