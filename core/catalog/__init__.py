"""Catalog: brands, categories and products."""
