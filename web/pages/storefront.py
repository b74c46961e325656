"""Storefront pages (mobile first): catalog home."""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.response import Response
from qudao.web.context import RequestContext
from qudao.web.pages.common import render


@get("/")
async def store_home(ctx: RequestContext) -> Response[Any]:
    return render(ctx, "store/home.html")


HANDLERS = [store_home]
