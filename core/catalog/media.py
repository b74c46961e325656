"""Product images on disk: ``<media_dir>/<tenant_id>/<random hex>.<ext>``.

Only images we recognise by their first bytes are stored, under a name we make
up, so a stored name can be served back safely (``safe_name``).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from pathlib import Path

import structlog

from qudao.core.config import get_settings
from qudao.core.errors import InputError

log = structlog.get_logger("qudao.media")
STORAGE_ERROR = "the image could not be stored (the media folder is full or read-only); nothing was changed"

MAX_IMAGE_BYTES = 5 * 1024 * 1024
NAME_RE = re.compile(r"^[0-9a-f]{32}\.(jpg|png|gif|webp)$")
SIGNATURES = (
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}


def image_kind(data: bytes) -> str | None:
    for magic, ext in SIGNATURES:
        if data.startswith(magic):
            return ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def tenant_media_dir(tenant_id: int) -> Path:
    return get_settings().media_dir / str(int(tenant_id))


def save_image(tenant_id: int, data: bytes, field: str = "image") -> str:
    """Store an uploaded image; returns its new name. Bad files raise InputError."""
    if not data:
        raise InputError("the file is empty", field=field)
    if len(data) > MAX_IMAGE_BYTES:
        raise InputError("images must be at most 5 MB", field=field)
    ext = image_kind(data)
    if ext is None:
        raise InputError("must be a JPEG, PNG, GIF or WebP image", field=field)
    folder = tenant_media_dir(tenant_id)
    name = f"{secrets.token_hex(16)}.{ext}"
    partial = folder / f".{name}.part"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # written aside and renamed into place: a reader never sees half a file, and a
        # full disk or a read-only folder leaves nothing behind
        with open(partial, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, folder / name)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        log.error("media_write_failed", folder=str(folder), error=repr(exc))
        raise InputError(STORAGE_ERROR, field=field) from None
    return name


def discard_images(tenant_id: int, names: list[str]) -> None:
    """Remove images stored for a change that was then refused (nothing left half-done)."""
    for name in names:
        if safe_name(name):
            with contextlib.suppress(OSError):
                (tenant_media_dir(tenant_id) / name).unlink()


def safe_name(name: str) -> bool:
    return bool(NAME_RE.match(name or ""))


def image_path(tenant_id: int, name: str) -> Path | None:
    if not safe_name(name):
        return None
    path = tenant_media_dir(tenant_id) / name
    return path if path.is_file() else None


def content_type(name: str) -> str:
    return CONTENT_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream")
