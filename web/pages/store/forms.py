"""``buyer_post``: the route of a storefront form that only a signed-in buyer posts.

The cart's coupon box, the quick order and the checkout each began the same way: check the
visitor, then read the posted form. Written once, the order of the two cannot drift: a visitor
who is not signed in is sent to sign in (HTMX or not) and staff are refused before the body is read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, post
from litestar.datastructures import FormMultiDict
from litestar.handlers import HTTPRouteHandler
from litestar.response import Response

from qudao.web.context import RequestContext
from qudao.web.pages.store.base import buyer_required

FormAnswer = Callable[[RequestContext, FormMultiDict], Awaitable[Response[Any]]]


def buyer_post(path: str) -> Callable[[FormAnswer], HTTPRouteHandler]:
    """``POST path`` (200 unless the answer says otherwise) answered by the decorated
    ``answer(ctx, form)`` once ``buyer_required`` has let the visitor in; ``form`` is the whole
    posted form, file fields and the CSRF token included."""

    def route(answer: FormAnswer) -> HTTPRouteHandler:
        async def handler(ctx: RequestContext, request: Request) -> Response[Any]:
            if (redirect := buyer_required(ctx)) is not None:
                return redirect
            return await answer(ctx, await request.form())

        handler.__name__ = handler.__qualname__ = answer.__name__
        handler.__doc__ = answer.__doc__
        return post(path, status_code=200)(handler)

    return route
