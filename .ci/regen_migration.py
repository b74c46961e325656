"""Developer tool: regenerate core's initial migration from the models (pre-release only)."""

import os
import sys
import tempfile
from pathlib import Path

from alembic import command

from qudao.core.db.migrate import CORE_MIGRATIONS, alembic_config

rev = sys.argv[1] if len(sys.argv) > 1 else "0001"
for f in (CORE_MIGRATIONS / "versions").glob(f"{rev}_*.py"):
    f.unlink()
db = Path(tempfile.mkdtemp()) / "gen.db"
cfg = alembic_config(f"sqlite+aiosqlite:///{db}", CORE_MIGRATIONS, "alembic_version")
if rev != "0001":
    command.upgrade(cfg, "head")
command.revision(cfg, message="initial schema" if rev == "0001" else sys.argv[2], autogenerate=True, rev_id=rev)
os.system(f"ruff format -q {CORE_MIGRATIONS / 'versions'}")
