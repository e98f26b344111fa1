"""Where this collection is published: its repository and the pinned ref.

The one place for both. ``tools/notebook_cells.py`` generates every notebook's
Colab badge and setup cell from them, so a badge opens the notebook at
:data:`REF` and its setup cell installs this package from the same ref. To
publish a new version, push a tag, set :data:`REF` to it, and run
``python tools/notebook_cells.py``.
"""

from __future__ import annotations

import re

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
