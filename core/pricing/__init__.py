"""Pricing: tier and customer prices, the price history and the one price engine."""
