"""Admin and storefront pages for promotions."""

HANDLERS: list = []
