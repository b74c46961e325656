"""The README's quick start is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = re.search(r'^TEST_COMMAND="(.+)"$', ci, re.M)
    assert command is not None
    assert command.group(1) in readme
    quick_start = readme.split("## Quick start", 1)[1].split("## ", 1)[0]
    blocks = re.findall(r"```sh\n(.+?)\n```", quick_start, re.S)
    assert blocks == [b for b in blocks if b.count("\n") == 0] and len(blocks) == 2  # exactly two commands
    assert blocks[1] == command.group(1)
    assert "qudao serve" in blocks[0]
