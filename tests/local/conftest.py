"""Fixtures of the make serve tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.spiffarena import SpiffArena


@pytest.fixture
def spiffarena() -> Iterator[SpiffArena]:
    """The stand-in of SpiffArena's callback route on 127.0.0.1."""
    stand_in = SpiffArena()
    yield stand_in
    stand_in.close()
