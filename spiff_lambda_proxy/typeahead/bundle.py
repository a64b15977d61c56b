"""The archive's folder of typeahead lists and its manifest: written by `make zip`, read by `catalogue`.

`typeahead-data/` at the archive's root holds one packed file per category and `catalogue.json`,
which lists them: name, file, origin (built-in or team), where the records came from, how many.
The credit the built-in data's licence asks for travels next to them (`NOTICE.txt`).

Also imported by `make zip`, so it runs on Python 3.9.
"""

from __future__ import annotations

import json
import os
from typing import NamedTuple

FOLDER = "typeahead-data"
MANIFEST = "catalogue.json"
VERSION = 1
LIST_SUFFIX = ".typeahead"
# Where a category comes from: the built-in data, or a team's file.
BUILT_IN = "built-in"
TEAM = "team"


class Entry(NamedTuple):
    name: str
    file: str
    origin: str
    source: str
    records: int


class ManifestError(ValueError):
    """A manifest this proxy cannot read."""


def manifest_json(entries: list[Entry]) -> bytes:
    document = {"version": VERSION, "categories": [entry._asdict() for entry in entries]}
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def read_manifest(folder: str) -> list[Entry] | None:
    """The lists bundled in `folder`; None when there is no manifest (built without lists)."""
    try:
        with open(os.path.join(folder, MANIFEST), "rb") as file:
            document = json.loads(file.read())
    except FileNotFoundError:
        return None
    except ValueError as error:
        raise ManifestError(f"{FOLDER}/{MANIFEST} is not JSON ({error})") from None
    if not isinstance(document, dict) or document.get("version") != VERSION:
        raise ManifestError(f"{FOLDER}/{MANIFEST} was written by another version of this proxy")
    try:
        return [Entry(**entry) for entry in document["categories"]]
    except (KeyError, TypeError):
        raise ManifestError(f"{FOLDER}/{MANIFEST} does not list its categories as expected") from None
