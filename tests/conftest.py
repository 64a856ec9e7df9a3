from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.services import fresh_store

BACKENDS = ["sqlite", "mariadb"]


@pytest.fixture(params=BACKENDS)
def empty_store_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A URL of an empty database (no tables) on SQLite and on MariaDB."""
    with fresh_store(request.param, str(tmp_path)) as url:
        yield url
