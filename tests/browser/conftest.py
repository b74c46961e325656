"""Browser tests: the shared fixtures (``browser``, ``page``, ``phone``) live in tests/conftest.py,
so tests anywhere use one Chromium per session."""
