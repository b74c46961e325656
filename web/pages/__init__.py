"""HTMX + Jinja pages: platform console, tenant admin and storefront."""
