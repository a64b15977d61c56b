"""Lists for the typeahead route's tests: built-in ones bundled as make zip bundles them, a team's folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.typeahead_lists import (
    CITIES_CSV,
    COUNTRIES_CSV,
    STATES_CSV,
    bundle_lists,
    serving_lists,
    write_lists,
)

from spiff_lambda_proxy.typeahead.bundle import BUILT_IN

CUSTOMERS_CSV = """\
name,id,region
Acme,1,EMEA
acme labs,2,EMEA
Beta Corp,3,APAC
100% Organic,4,APAC
100 Acres,5,APAC
a_b,6,EMEA
axb,7,EMEA
"""


@pytest.fixture
def team(tmp_path: Path) -> Path:
    return write_lists(tmp_path / "typeahead", {"customers.csv": CUSTOMERS_CSV})


@pytest.fixture
def lists(tmp_path: Path, team: Path) -> Iterator[Path]:
    """The built-in categories (small stand-ins, bundled) and the team's `customers`, served."""
    bundled = bundle_lists(
        tmp_path / "typeahead-data",
        {
            "cities": (BUILT_IN, CITIES_CSV),
            "countries": (BUILT_IN, COUNTRIES_CSV),
            "states": (BUILT_IN, STATES_CSV),
        },
    )
    with serving_lists(team, bundled):
        yield team
