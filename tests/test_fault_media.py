# ruff: noqa: F811
"""A full disk or a read-only media folder on an image upload: the staff member gets a clear
form error (422), the product is unchanged and no file is left behind, half-written or not.

The media folder is a real 64 KiB tmpfs the test mounts (and later remounts read-only);
the test runs as root, as CI does on this kind of machine."""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qudao.core.config import get_settings, reset_settings
from tests.test_admin_catalog import FORM, PNG
from tests.test_admin_common import Staff, staff  # noqa: F401


@pytest.fixture
def tiny_media(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs as the media folder of this test (settings restored afterwards)."""
    if os.geteuid() != 0:
        pytest.fail("the media fault test mounts a tmpfs: run it as root (CI does)")
    var = tmp_path / "var"
    media = var / "media"
    media.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(media)], check=True)
    before = get_settings()
    reset_settings(dataclasses.replace(before, var_dir=var))
    try:
        yield media
    finally:
        reset_settings(before)
        subprocess.run(["umount", "-l", str(media)], check=False)


def _upload(staff: Staff, sku: str, data: bytes) -> Any:
    return staff.client.post(staff.url(f"/products/{sku}"), data={**FORM, "name": "changed", "_csrf_token": staff.csrf},
                             files={"image": ("big.png", io.BytesIO(data), "image/png")})


def _files(media: Path) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def test_full_disk_and_read_only_media_folder(staff: Staff, tiny_media: Path) -> None:
    staff.post("/products/new", {**FORM, "sku": "MEDIA-1"})
    before = staff.api.ok("get", "/products/MEDIA-1")

    # a small image fits
    assert _upload(staff, "MEDIA-1", PNG).status_code == 200
    stored = _files(tiny_media)
    assert len(stored) == 1
    staff.post("/products/MEDIA-1", {**FORM, "name": before["name"]})  # name back

    # disk full: 200 KiB do not fit in what is left of 64 KiB
    big = PNG + b"\x00" * 200_000
    resp = _upload(staff, "MEDIA-1", big)
    assert resp.status_code == 422, resp.text[:300]
    assert "could not be stored" in resp.text and "Traceback" not in resp.text
    assert _files(tiny_media) == stored  # no partial file left
    assert staff.api.ok("get", "/products/MEDIA-1")["name"] == before["name"]  # nothing changed

    # read-only folder
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_media)], check=True)
    resp = _upload(staff, "MEDIA-1", PNG)
    assert resp.status_code == 422 and "could not be stored" in resp.text
    assert _files(tiny_media) == stored
    assert staff.api.ok("get", "/products/MEDIA-1")["name"] == before["name"]
    page = staff.get("/products/MEDIA-1")
    assert page.status_code == 200 and page.text.count("/media/") == 1  # still the one good image
