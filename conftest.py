"""Stop the test run early, with the data layer's own message, when MovieLens
100K is neither cached nor downloadable: every notebook and data test needs it.

Notebook cells are marked ``notebooks`` and ``data`` here. To run only the
tests that need no data: ``AUTOREC_SKIP_DATA_CHECK=1 pytest tests -m "not data"``.
"""

import os

import pytest


def pytest_sessionstart(session):
    if os.environ.get("AUTOREC_SKIP_DATA_CHECK"):
        return
    from autorec_common.data import DataError, fetch_ml100k

    try:
        fetch_ml100k(progressbar=False)
    except DataError as err:
        pytest.exit(f"MovieLens 100K is not available.\n{err}", returncode=1)
    except Exception as err:  # a bug in the data layer: still one clear message
        pytest.exit(f"MovieLens 100K is not available.\n{type(err).__name__}: {err}\n"
                    f"(an unexpected error in autorec_common.data; please report it)",
                    returncode=1)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebooks)
            item.add_marker(pytest.mark.data)
