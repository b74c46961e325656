"""Inventory: warehouses, stock levels and the stock ledger."""
