"""Domain errors. The web layer turns them into problem+json or form errors."""

from __future__ import annotations

from typing import Any


class QudaoError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class InputError(QudaoError):
    """Bad input: ``errors`` is a list of ``{field, message}``; nothing was stored."""

    status = 422
    title = "Invalid input"

    def __init__(self, errors: list[dict[str, str]] | str, field: str | None = None) -> None:
        if isinstance(errors, str):
            errors = [{"field": field or "body", "message": errors}]
        self.errors = errors
        super().__init__("; ".join(f"{e['field']} {e['message']}" for e in errors))


class NotFound(QudaoError):
    status = 404
    title = "Not found"


class Forbidden(QudaoError):
    status = 403
    title = "Forbidden"


class Unauthorized(QudaoError):
    status = 401
    title = "Unauthorized"


class Conflict(QudaoError):
    status = 409
    title = "Conflict"


class Refused(QudaoError):
    """A business refusal: ``violations`` is a list of ``{code, message}``."""

    status = 422
    title = "Order refused"

    def __init__(self, violations: list[dict[str, str]], detail: str = "") -> None:
        self.violations = violations
        super().__init__(detail or "; ".join(v["message"] for v in violations))


def field_error(field: str, message: str) -> InputError:
    return InputError([{"field": field, "message": message}])
