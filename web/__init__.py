"""Web: the Litestar app factory, the integration API and HTMX pages."""
