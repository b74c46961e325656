"""Offline test doubles for external services (Stripe, Stripe Connect, WeChat).

Importing this package puts the repository root on ``sys.path`` so tests can
import top-level packages (``plugins``, ``core``...) before the project is
installable.
"""

from __future__ import annotations

import sys
from pathlib import Path

_REPO_ROOT = str(Path(__file__).resolve().parents[2])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)
