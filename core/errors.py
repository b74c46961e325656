"""Domain errors. The web layer turns them into problem+json or form errors."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class QudaoError(Exception):
    """A domain error: ``status`` is its HTTP answer, ``title`` the problem's title.

    A subclass names them as class keywords, ``class Gone(QudaoError, status=410): ...`` (the
    title is then the status's reason phrase, "Gone", unless ``title=`` says otherwise), or as
    class attributes.
    """

    status = 400
    title = "Bad request"

    def __init_subclass__(cls, status: int | None = None, title: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status
            cls.title = title or vars(cls).get("title") or HTTPStatus(status).phrase.capitalize()
        elif title is not None:
            cls.title = title

    def __init__(self, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class InputError(QudaoError, status=422, title="Invalid input"):
    """Bad input: ``errors`` is a list of ``{field, message}``; nothing was stored."""

    def __init__(self, errors: list[dict[str, str]] | str, field: str | None = None) -> None:
        if isinstance(errors, str):
            errors = [{"field": field or "body", "message": errors}]
        self.errors = errors
        super().__init__("; ".join(f"{e['field']} {e['message']}" for e in errors))


# Titles "Not found", "Forbidden", "Unauthorized", "Conflict" (the reason phrases).
class NotFound(QudaoError, status=404): ...
class Forbidden(QudaoError, status=403): ...
class Unauthorized(QudaoError, status=401): ...
class Conflict(QudaoError, status=409): ...


class Refused(QudaoError, status=422, title="Order refused"):
    """A business refusal: ``violations`` is a list of ``{code, message}``."""

    def __init__(self, violations: list[dict[str, str]], detail: str = "") -> None:
        self.violations = violations
        super().__init__(detail or "; ".join(v["message"] for v in violations))


def field_error(field: str, message: str) -> InputError:
    return InputError([{"field": field, "message": message}])
