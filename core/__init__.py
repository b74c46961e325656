"""Qudao core: catalog, customers, pricing, orders, inventory, auth and the plugin host."""
