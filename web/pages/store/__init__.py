"""Storefront pages (buyers, mobile first): catalog, cart, checkout, orders; ``base`` holds helpers."""
