"""Typeahead lists for tests: a folder of a team's files, served in-process for one test.

`serve_lists(folder)` has the proxy serve that folder as `make serve` serves `typeahead/` (and,
when given, a folder of packed lists as `make zip` bundles them), and puts the archive's places
back afterwards, so no test leaves its lists to the next.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from spiff_lambda_proxy.typeahead import catalogue

CITIES_CSV = """\
name,state,country
San Francisco,California,United States
San Francisco,Cordoba,Argentina
Santa Ana,California,United States
"""


def write_lists(folder: Path, files: Mapping[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


@contextmanager
def serving_lists(team: Path | None, bundled: Path | None = None) -> Iterator[None]:
    catalogue.serve_from(
        catalogue.Places(str(bundled) if bundled else None, str(team) if team else None, "typeahead")
    )
    try:
        yield
    finally:
        catalogue.serve_from(None)


def bundle_lists(folder: Path, lists: dict[str, tuple[str, str]]) -> Path:
    """A folder as `make zip` bundles lists: {category: (origin, CSV text)} packed, with the manifest."""
    from spiff_lambda_proxy.typeahead import bundle
    from spiff_lambda_proxy.typeahead.packed import PackedList, pack
    from spiff_lambda_proxy.typeahead.records import read_list

    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for name, (origin, text) in sorted(lists.items()):
        data = pack(read_list(text.encode(), "csv", f"{name}.csv"))
        (folder / f"{name}{bundle.LIST_SUFFIX}").write_bytes(data)
        entries.append(
            bundle.Entry(name, f"{name}{bundle.LIST_SUFFIX}", origin, "tests", PackedList(data).count)
        )
    (folder / bundle.MANIFEST).write_bytes(bundle.manifest_json(entries))
    return folder


COUNTRIES_CSV = "name\nUnited States\nUnited Kingdom\nUruguay\n"
STATES_CSV = "name,country\nCalifornia,United States\nCórdoba,Argentina\n"
