"""``POST /stripe/webhook`` (a platform route: no tenant in the path).

1. The signature is verified on the raw body with the platform's webhook secret; a bad or
   missing signature is a 400 and nothing is stored.
2. The tenant comes from the object's metadata (``tenant_id``, set when we created the
   PaymentIntent); an unknown tenant, or one with the plugin off, is acknowledged and ignored.
3. The event id is stored once per tenant (unique key); a repeat is acknowledged and ignored.
4. State is driven by the *re-fetched* PaymentIntent, never by the event's copy, so a stale or
   out-of-order event only ever applies the current truth (and that is idempotent).
"""

from __future__ import annotations

from typing import Any

import stripe
import structlog
from litestar import Request, Response, post
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from qudao.core.config import get_settings
from qudao.core.db.session import Database, bind_tenant
from qudao.core.plugins.context import TenantContext
from qudao.core.plugins.host import PluginHost
from qudao.plugins.payments import stripe_client as sc
from qudao.plugins.payments.models import WebhookEvent
from qudao.tenants.models import Tenant

log = structlog.get_logger("qudao.payments")
PLUGIN = "payments"


def _problem(status: int, detail: str) -> Response[Any]:
    return Response({"type": "about:blank", "title": "Bad request" if status == 400 else "Error", "status": status,
                     "detail": detail}, status_code=status, media_type="application/problem+json")


def _payment_intent_ref(obj: dict[str, Any]) -> str | None:
    kind = obj.get("object")
    if kind == "payment_intent":
        return obj.get("id")
    if kind in ("charge", "refund"):
        return sc.ident(obj.get("payment_intent"))
    return None


@post("/stripe/webhook", status_code=200, include_in_schema=False)
async def stripe_webhook(request: Request) -> Response[Any]:
    secret = get_settings().stripe_webhook_secret
    raw = await request.body()
    signature = request.headers.get("stripe-signature", "")
    if not secret:
        return _problem(400, "webhooks are not configured (QUDAO_STRIPE_WEBHOOK_SECRET)")
    if not signature:
        return _problem(400, "missing Stripe-Signature header")
    try:
        event = stripe.Webhook.construct_event(raw, signature, secret)
    except (ValueError, stripe.SignatureVerificationError):
        return _problem(400, "the signature does not match the body")
    data = event.to_dict()
    obj = (data.get("data") or {}).get("object") or {}
    metadata = obj.get("metadata") or {}
    pi_id = _payment_intent_ref(obj)
    tenant_raw = str(metadata.get("tenant_id") or "")
    db: Database = request.app.state.db
    host: PluginHost = request.app.state.host
    async with db.sessions() as session:
        client = sc.client("payments") if pi_id else None
        pi = None
        if pi_id and not tenant_raw.isdigit() and client is not None:
            # charge / refund events: the tenant is on the PaymentIntent
            pi = await sc.call(lambda: client.v1.payment_intents.retrieve(pi_id))
            tenant_raw = str(sc.as_dict(pi.metadata).get("tenant_id") or "")
        if not tenant_raw.isdigit():
            return Response({"received": True, "ignored": "no tenant in the object's metadata"})
        tenant = await session.scalar(select(Tenant).where(Tenant.id == int(tenant_raw)))
        if tenant is None or tenant.status != "active":
            return Response({"received": True, "ignored": "unknown tenant"})
        await bind_tenant(session, tenant.id)
        from qudao.web.context import load_plugin_states

        enabled, plugin_settings = await load_plugin_states(session, host)
        if PLUGIN not in enabled:
            return Response({"received": True, "ignored": "payments are off for this tenant"})
        ctx = TenantContext(tenant=tenant, session=session, hooks=host.hooks_for(enabled),
                            plugin_settings=plugin_settings)
        session.add(WebhookEvent(event_id=event.id, type=event.type, object_id=obj.get("id"),
                                 outcome="received", payload={"type": event.type, "object": obj.get("id")}))
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            return Response({"received": True, "duplicate": True})
        if pi_id is None:
            return Response({"received": True, "ignored": f"{event.type} needs no action"})
        try:
            if pi is None:
                assert client is not None
                pi = await sc.call(lambda: client.v1.payment_intents.retrieve(pi_id))
            from qudao.plugins.payments.charges import apply_payment_intent

            payment = await apply_payment_intent(ctx, pi)
        except Exception:
            # Forget the event so Stripe's redelivery is processed, then answer 500 (Stripe retries).
            await session.rollback()
            from sqlalchemy import delete

            await session.execute(delete(WebhookEvent).where(WebhookEvent.event_id == event.id))
            await session.commit()
            log.exception("webhook_failed", event=event.id)
            return _problem(500, "could not process the event now; it will be retried")
        return Response({"received": True, "payment": payment.status if payment else None})
