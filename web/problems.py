"""Every error becomes RFC 9457 problem+json in the API, or a friendly page elsewhere."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, NotFoundException, ValidationException
from litestar.response import Template

from qudao.core.errors import InputError, QudaoError, Refused

log = structlog.get_logger("qudao.web")


def is_api(request: Request) -> bool:
    path = request.url.path
    return "/api/" in path or path.startswith("/stripe/") or request.headers.get("accept", "").startswith(
        "application/json"
    )


def problem(status: int, title: str, detail: str = "", **extra: Any) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail or title}
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(body, status_code=status, media_type="application/problem+json")


def _page(request: Request, status: int, title: str, detail: str) -> Response[Any]:
    if request.headers.get("hx-request"):
        return Response(f'<div class="flash error">{_esc(detail)}</div>', status_code=status,
                        media_type=MediaType.HTML, headers={"HX-Reswap": "innerHTML", "HX-Retarget": "#flash"})
    try:
        return Template("error.html", context={"status": status, "title": title, "detail": detail},
                        status_code=status)
    except Exception:  # noqa: BLE001 - the error page itself must never fail
        return Response(f"<h1>{status} {_esc(title)}</h1><p>{_esc(detail)}</p>", status_code=status,
                        media_type=MediaType.HTML)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def handle_domain(request: Request, exc: QudaoError) -> Response[Any]:
    extra: dict[str, Any] = {}
    if isinstance(exc, InputError):
        extra["errors"] = exc.errors
    if isinstance(exc, Refused):
        extra["violations"] = exc.violations
    if is_api(request):
        return problem(exc.status, exc.title, exc.detail, **extra, **exc.extra)
    return _page(request, exc.status, exc.title, exc.detail)


def handle_http(request: Request, exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    title = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
             405: "Method not allowed", 409: "Conflict", 413: "Payload too large",
             415: "Unsupported media type", 429: "Too many requests"}.get(status, "Error")
    detail = exc.detail if isinstance(exc.detail, str) else title
    if status >= 500:
        log.error("http_error", status=status, detail=detail)
        detail = "Something went wrong on our side."
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationException):
        status, title = 400, "Bad request"
        extra["errors"] = [
            {"field": str(e.get("key") or "body"), "message": str(e.get("message"))}
            for e in (exc.extra or []) if isinstance(e, dict)
        ] or None
    if isinstance(exc, NotFoundException | NotAuthorizedException):
        detail = detail or title
    if is_api(request):
        headers = getattr(exc, "headers", None) or {}
        resp = problem(status, title, detail, **extra)
        resp.headers.update(headers)
        return resp
    return _page(request, status, title, detail)


def handle_db_input(request: Request, exc: Exception) -> Response[Any]:
    """A value the database refused (NUL byte, out-of-range number, …) is bad input, not a 500;
    a unique key that a concurrent request won first is a conflict. The transaction was rolled back."""
    from sqlalchemy.exc import IntegrityError

    if isinstance(exc, IntegrityError):
        status, title, detail = 409, "Conflict", "This conflicts with data that was just saved; reload and try again."
    else:
        status, title, detail = 422, "Invalid input", "A value is not acceptable (invalid characters or out of range)."
    log.warning("db_refused_input", path=request.url.path, error=type(exc).__name__)
    if is_api(request):
        return problem(status, title, detail)
    return _page(request, status, title, detail)


def handle_500(request: Request, exc: Exception) -> Response[Any]:
    log.exception("unhandled_error", path=request.url.path, error=type(exc).__name__)
    if is_api(request):
        return problem(500, "Internal server error", "Something went wrong on our side; it has been logged.")
    return _page(request, 500, "Internal server error", "Something went wrong on our side; it has been logged.")


def _unavailable_state(exc: Exception) -> bool:
    """SQLSTATE class 08 (connection) or 57P01-57P03 (shutting down, crashed, starting up),
    looked up along the cause chain (asyncpg's CannotConnectNowError arrives as a DBAPIError)."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        state = str(getattr(seen, "sqlstate", "") or getattr(seen, "pgcode", "") or "")
        if state.startswith("08") or state in ("57P01", "57P02", "57P03"):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


def handle_db_unavailable(request: Request, exc: Exception) -> Response[Any]:
    """The database is unreachable or restarting: a clean 503 with Retry-After, nothing half-done
    (the transaction never committed). The pool drops the dead connections (pre-ping), so the
    next requests reconnect without restarting the web process."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(exc, DBAPIError) and not (exc.connection_invalidated or _unavailable_state(exc)
                                            or isinstance(exc, OperationalError | InterfaceError)):
        return handle_500(request, exc)
    log.warning("db_unavailable", path=request.url.path, error=type(exc).__name__)
    detail = "The service is briefly unavailable; nothing was changed. Try again in a few seconds."
    resp = (problem(503, "Service unavailable", detail) if is_api(request)
            else _page(request, 503, "Service unavailable", detail))
    resp.headers["Retry-After"] = "5"
    return resp


def _db_errors() -> dict[Any, Any]:
    from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

    return {DataError: handle_db_input, IntegrityError: handle_db_input, DBAPIError: handle_db_unavailable,
            ConnectionError: handle_db_unavailable}


EXCEPTION_HANDLERS: dict[Any, Any] = {
    **_db_errors(),
    QudaoError: handle_domain,
    HTTPException: handle_http,
    Exception: handle_500,
}
