"""Answer photos on disk: ``<media_dir>/<tenant_id>/channel_tasks/<random hex>.<ext>``, next to the
product images (``qudao.core.catalog.media``), under names we make up.

The type is judged by the content: Pillow decodes the header (``verify``) when it is installed,
else the first bytes must be a JPEG, PNG, GIF or WebP signature. A file's own name and declared
type are never trusted.
"""

from __future__ import annotations

import io
import re
import secrets
from pathlib import Path

from qudao.core.catalog.media import image_kind, tenant_media_dir
from qudao.core.errors import InputError

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTOS = 6
NAME_RE = re.compile(r"^[0-9a-f]{32}\.(jpg|png|gif|webp)$")
PIL_FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp", "MPO": "jpg"}
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}


def kind_of(data: bytes) -> str | None:
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:  # no Pillow: the signature alone
        return image_kind(data)
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format or ""
            img.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
    except Image.DecompressionBombError:
        return None
    return PIL_FORMATS.get(fmt)


def check(data: bytes, field: str = "photos", limit: int = MAX_PHOTO_BYTES) -> str:
    """The photo's extension; a bad file raises InputError (nothing is written)."""
    if not data:
        raise InputError("the file is empty", field=field)
    if len(data) > limit:
        raise InputError(f"a photo must be at most {limit // (1024 * 1024)} MB", field=field)
    ext = kind_of(data)
    if ext is None:
        raise InputError("must be a photo (JPEG, PNG, GIF or WebP)", field=field)
    return ext


def folder(tenant_id: int) -> Path:
    return tenant_media_dir(tenant_id) / "channel_tasks"


def save(tenant_id: int, data: bytes, ext: str) -> str:
    target = folder(tenant_id)
    target.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{ext}"
    (target / name).write_bytes(data)
    return name


def remove(tenant_id: int, names: list[str]) -> None:
    for name in names:
        if NAME_RE.match(name or ""):
            (folder(tenant_id) / name).unlink(missing_ok=True)


def path_of(tenant_id: int, name: str) -> Path | None:
    if not NAME_RE.match(name or ""):
        return None
    path = folder(tenant_id) / name
    return path if path.is_file() else None


def content_type(name: str) -> str:
    return CONTENT_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream")
