"""A folder of a team's lists: `<category>.json` and `<category>.csv` files, named by the rules.

`make zip` bundles the project's `typeahead/` folder from this listing, and `make serve` serves it
as it is. A file that cannot be a list (another format, a name no URL can carry, two files for one
category) is a `ListError` naming it: a build stops, it never leaves a list out quietly.

Also imported by `make zip`, so it runs on Python 3.9.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from .names import RULE, is_category_name
from .records import ListError, kind_of


class ListFile(NamedTuple):
    category: str
    path: str
    kind: str  # "json" or "csv"
    # How messages name it: relative to the project (typeahead/customers.csv).
    shown: str


def list_files(folder: str, shown_folder: str) -> dict[str, ListFile]:
    """The lists in `folder` by category; a missing folder holds none."""
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return {}
    found: dict[str, ListFile] = {}
    for name in names:
        if _ignored(name):
            continue
        path = os.path.join(folder, name)
        shown = f"{shown_folder}/{name}"
        if os.path.isdir(path):
            raise ListError(f"{shown} is a folder; {shown_folder}/ holds lists as .json or .csv files.")
        kind = kind_of(name)
        if kind is None:
            raise ListError(
                f"{shown} is not a list: {shown_folder}/ holds <category>.json and <category>.csv files "
                "(docs/typeahead.md). Move it elsewhere."
            )
        category = name[: name.rfind(".")]
        if not is_category_name(category):
            raise ListError(f"{shown}: {category!r} cannot be a category name ({RULE}); rename the file.")
        if category in found:
            raise ListError(f"{found[category].shown} and {shown} are both the list {category}; keep one.")
        found[category] = ListFile(category, path, kind, shown)
    return found


def _ignored(name: str) -> bool:
    # Hidden files, editors' backups, and the folder's own README.
    return name.startswith(".") or name.endswith("~") or name.upper().startswith("README")
