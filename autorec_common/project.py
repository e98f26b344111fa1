"""Where this collection is published: its repository and the pinned ref.

The one place for both. ``tools/notebook_cells.py`` generates every notebook's
Colab badge and setup cell from them, so a badge opens the notebook at
:data:`REF` and its setup cell installs this package from the same ref.
:func:`ref_status` says whether :data:`REF` exists in a checkout (``make book``
prints it and shows it on the site's front page). How to publish a version:
the README's "Publishing" section.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

OWNER = "autorec-notebooks"
NAME = "autorec-notebooks"
REPOSITORY = f"https://github.com/{OWNER}/{NAME}"
# A release tag vMAJOR.MINOR.PATCH (pushed once, never moved) or a full commit
# id of REPOSITORY; never a branch, so that a notebook already opened keeps
# working when the branch moves.
REF = "v0.2.0"
IMMUTABLE_REF = re.compile(r"v\d+\.\d+\.\d+|[0-9a-f]{40}")

DISTRIBUTION = "autorec-common"
COLAB_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"


def colab_url(notebook: str) -> str:
    """The Colab address that opens ``notebooks/<notebook>`` at :data:`REF`."""
    return f"https://colab.research.google.com/github/{OWNER}/{NAME}/blob/{REF}/notebooks/{notebook}"


def colab_badge(notebook: str) -> str:
    """The markdown line of the "Open In Colab" badge of ``notebook`` (a file name)."""
    return f"[![Open In Colab]({COLAB_BADGE_IMAGE})]({colab_url(notebook)})"


def pip_requirement(repository: str = REPOSITORY, ref: str = REF) -> str:
    """The pip requirement that installs this package from ``repository`` at ``ref``."""
    return f"{DISTRIBUTION} @ git+{repository}@{ref}"


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True,
                              text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _version(root: Path) -> str | None:
    try:
        text = (root / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return None
    m = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
    return m.group(1) if m else None


def ref_status(root: Path, ref: str = REF) -> tuple[bool, str]:
    """Whether the badges and setup cells, which open ``ref``, show what the
    checkout at ``root`` holds: (True, what they open) or (False, what is wrong).

    Checks that ``ref`` is immutable by name, resolves in ``root``'s git
    repository, holds the same notebooks and package as HEAD, and (a tag)
    matches pyproject's version."""
    if not IMMUTABLE_REF.fullmatch(ref):
        return False, (f"REF {ref!r} in autorec_common/project.py is neither a release tag "
                       "vMAJOR.MINOR.PATCH nor a full commit id: what it opens can move.")
    problems = []
    if _git(root, "rev-parse", "--git-dir") is None:
        problems.append(f"{root} is not a git checkout, so whether {ref} exists cannot be "
                        "checked.")
        commit = None
    else:
        commit = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        if commit is None:
            problems.append(
                f"{ref} does not exist in this repository: every Colab badge and setup "
                f"cell opens {REPOSITORY} at {ref}, which shows \"notebook not found\" "
                "until that tag is pushed there.")
        elif _git(root, "diff", "--quiet", commit, "HEAD", "--",
                  "notebooks", "autorec_common", "pyproject.toml") is None:
            problems.append(
                f"{ref} ({commit[:12]}) holds other notebooks or another package than "
                "this checkout's HEAD: the badges open that version, not the one shown here.")
    version = _version(root)
    if ref.startswith("v") and version and ref != f"v{version}":
        problems.append(f"REF {ref} does not match the package version {version} in "
                        "pyproject.toml: set both to the release you publish.")
    if problems:
        return False, " ".join(problems)
    return True, f"the Colab badges open {ref} (commit {commit[:12]}), the version shown here."
