"""Tenants: the tenant model, signup/provisioning and request resolution."""
