"""Which typeahead categories this function has, where each one's records come from, who may read it.

Three places, the later winning for a name they share:

- the lists `make zip` bundles (`typeahead-data/` at the archive's root, `bundle.py`):
  the built-in countries, states and cities, and a team's files from `typeahead/`;
- in a checkout (`make serve`, which calls `serve_from`), the team's `typeahead/` folder as it is;
- the S3 objects `CONNECTOR_PROXY_TYPEAHEAD_S3` names.

A requested category is looked up by name in this catalogue and nowhere else: no path is ever made
from what a request says. Each list is opened on its first lookup.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, NamedTuple, Protocol

from ..errors import ProxyError
from ..settings import forget, read_once
from .bundle import BUILT_IN, FOLDER, TEAM, ManifestError, read_manifest
from .packed import FormatError, PackedList
from .settings import TypeaheadSettings

if TYPE_CHECKING:
    from .folder import ListFile

# Where a category comes from besides the archive's origins (bundle.BUILT_IN, bundle.TEAM): S3, a team's.
S3 = "s3"
# The archive's root (Lambda's /var/task): the folder above this package's.
_TASK_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

logger = logging.getLogger(__name__)


if TYPE_CHECKING:  # a Protocol class costs a third of a millisecond to make at import

    class Lookup(Protocol):
        def lookup(self, folded_prefix: str, limit: int) -> list[bytes]: ...


class Places(NamedTuple):
    """Where lists are besides S3 (`make serve` and tests choose; Lambda has the archive's)."""

    # A folder of lists as make zip bundles them, with its manifest.
    bundled: str | None
    # A folder of a team's .json and .csv files, read as they are.
    team: str | None
    # How messages name the team folder.
    team_shown: str = "typeahead"


_ARCHIVE = Places(os.path.join(_TASK_ROOT, FOLDER), None)
_places = _ARCHIVE


class Category:
    """One category: its name, where it comes from, and its records, opened on first use."""

    def __init__(self, name: str, origin: str, open_list: Callable[[], Lookup]) -> None:
        self.name = name
        self.origin = origin
        self._open = open_list
        self._list: Lookup | None = None
        self._lock = threading.Lock()

    def lookup(self, folded_prefix: str, limit: int) -> list[bytes]:
        if self._list is None:
            with self._lock:  # make serve answers on threads; Lambda one request at a time
                if self._list is None:
                    self._list = self._open()
        return self._list.lookup(folded_prefix, limit)


class Catalogue(NamedTuple):
    categories: dict[str, Category]

    @classmethod
    def current(cls) -> Catalogue:
        """The catalogue of this execution environment, made on the first typeahead request."""
        return read_once(cls, lambda: cls.of(_places, TypeaheadSettings.current()))

    @classmethod
    def of(cls, places: Places, settings: TypeaheadSettings) -> Catalogue:
        categories: dict[str, Category] = {}
        if places.bundled is not None:
            categories.update(_bundled(places.bundled))
        if places.team is not None:
            categories.update(_team_folder(places.team, places.team_shown))
        for name, location in settings.s3_lists.items():
            from .s3 import S3List

            s3_list = S3List(name, location, settings.s3_ttl, settings.s3_max_bytes)
            categories[name] = Category(name, S3, partial(_itself, s3_list))
        return cls(dict(sorted(categories.items())))

    def is_public(self, category: Category, settings: TypeaheadSettings) -> bool:
        """Answered without the API key: the built-in lists, unless CONNECTOR_PROXY_TYPEAHEAD_PUBLIC says."""
        if settings.public is None:
            return category.origin == BUILT_IN
        return category.name in settings.public


def serve_from(places: Places | None) -> None:
    """Serve the lists in `places` instead of the archive's (None: the archive's again)."""
    global _places
    _places = _ARCHIVE if places is None else places
    forget()


def _bundled(folder: str) -> dict[str, Category]:
    try:
        entries = read_manifest(folder)
    except ManifestError as error:
        raise _unreadable(str(error)) from None
    return {
        entry.name: Category(
            entry.name, entry.origin, partial(_open_bundled, os.path.join(folder, entry.file))
        )
        for entry in entries or ()
    }


def _open_bundled(path: str) -> PackedList:
    try:
        packed = PackedList.open(path)
    except (OSError, FormatError) as error:
        raise _unreadable(f"{FOLDER}/{os.path.basename(path)} cannot be read ({error})") from None
    logger.info("typeahead list %s opened: %d records", os.path.basename(path), packed.count)
    return packed


def _team_folder(folder: str, shown: str) -> dict[str, Category]:
    # A checkout's folder (make serve): the readers of files are not needed for bundled lists.
    from .folder import list_files
    from .records import ListError

    try:
        files = list_files(folder, shown)
    except ListError as error:
        raise ProxyError(str(error), status=500, error_code="typeahead_list_invalid") from None
    return {name: Category(name, TEAM, partial(_open_team_file, file)) for name, file in files.items()}


def _open_team_file(file: ListFile) -> PackedList:
    from .packed import pack
    from .records import ListError, read_list

    with open(file.path, "rb") as stream:
        data = stream.read()
    try:
        return PackedList(pack(read_list(data, file.kind, file.shown)))
    except ListError as error:
        raise ProxyError(str(error), status=500, error_code="typeahead_list_invalid") from None


def _itself(lookup: Lookup) -> Lookup:
    return lookup


def _unreadable(problem: str) -> ProxyError:
    return ProxyError(
        f"The archive's typeahead lists are damaged: {problem}. Build it again with make zip and deploy it.",
        status=500,
        error_code="typeahead_lists_unreadable",
    )
