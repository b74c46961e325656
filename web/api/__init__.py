"""The integration API (``/api/v1`` and ``/t/{slug}/api/v1``), see API-CONTRACT.md."""
