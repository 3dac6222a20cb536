"""Shared test options and fixtures.

`pytest --update-goldens` rewrites the golden files under tests/golden/ instead of
comparing against them: regenerate on purpose, then read the diff before committing.

Tests marked `slow` run whole batches (process pools, PDFs, a Dask cluster, SIGKILL and
Ctrl-C loops).  The default run, and CI, runs everything; the quick loop while developing
leaves them out:

    .venv/bin/python -m pytest -p no:cacheprovider -m "not slow"
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite tests/golden/* from the current output instead of comparing against them",
    )


@pytest.fixture(scope="session")
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))
