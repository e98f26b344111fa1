"""The notebooks' code is formatted by ruff (88 columns), so no line is cut off on the site."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_notebooks_are_formatted_by_ruff():
    done = subprocess.run([sys.executable, "-m", "ruff", "format", "--check", "notebooks"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, (
        "some notebooks are not formatted; run `.venv/bin/ruff format notebooks`:\n"
        + done.stdout + done.stderr)
