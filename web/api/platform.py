"""Platform API: signup and health."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from sqlalchemy import text

from qudao.core.auth.tokens import issue_token
from qudao.core.db.session import Database
from qudao.core.errors import Conflict, InputError
from qudao.tenants.provisioning import SignupError, SignupInput, create_tenant
from qudao.web.api.common import json_body


@post("/api/v1/signup", status_code=201, tags=["platform"])
async def signup(request: Request) -> dict[str, Any]:
    """Create a brand (tenant) with its owner; returns an API token for the owner."""
    data = await json_body(request)
    db: Database = request.app.state.db
    async with db.sessions() as session:
        try:
            tenant, owner = await create_tenant(session, SignupInput(
                name=data.get("name"), slug=data.get("slug"),
                admin_email=data.get("admin_email"), admin_password=data.get("admin_password")))
        except SignupError as exc:
            if exc.conflict:
                raise Conflict("slug is already taken", errors=exc.errors) from None
            raise InputError(exc.errors) from None
        token = await issue_token(session, owner, name="signup")
        try:
            await session.commit()
        except Exception as exc:  # a concurrent signup won the slug
            if "unique" in str(exc).lower() or "duplicate" in str(exc).lower():
                raise Conflict("slug is already taken") from None
            raise
    return {"tenant": {"slug": tenant.slug, "name": tenant.name}, "token": token}


@get("/healthz", tags=["platform"], media_type="application/json")
async def healthz(request: Request) -> Response[dict[str, str]]:
    """200 when the app can reach its database."""
    db: Database = request.app.state.db
    try:
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - health answers, it does not raise
        return Response({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return Response({"status": "ok"})


@get("/readyz", tags=["platform"], media_type="application/json")
async def readyz(request: Request) -> Response[dict[str, str]]:
    """200 when the database and (if configured) Redis answer."""
    db: Database = request.app.state.db
    out = {"database": "ok", "redis": "not configured"}
    status = 200
    try:
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001
        out["database"], status = "unreachable", 503
    redis_url = request.app.state.settings.redis_url
    if redis_url:
        import redis.asyncio as aioredis

        client = aioredis.from_url(redis_url, socket_connect_timeout=2)
        try:
            await client.ping()
            out["redis"] = "ok"
        except Exception:  # noqa: BLE001
            out["redis"], status = "unreachable", 503
        finally:
            await client.aclose()
    return Response({"status": "ok" if status == 200 else "unavailable", **out}, status_code=status)


@get("/metrics", include_in_schema=False)
async def metrics_endpoint() -> Response[bytes]:
    from qudao.web import metrics

    body, content_type = metrics.render()
    return Response(body, media_type=content_type)


HANDLERS = [signup, healthz, readyz, metrics_endpoint]
