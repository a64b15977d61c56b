"""The typeahead lists that go into the archive: a team's files from `typeahead/`, and the built-in ones.

A team's files are read and checked first, before anything is downloaded or built, so a bad file
stops `make zip` at once with the file and the record or line, and never gives an archive. A
team's file named after a built-in category replaces it. Every list is packed
(`spiff_lambda_proxy/typeahead/packed.py`) into `typeahead-data/` with the manifest the proxy reads
and, with the built-in lists, the credit and the licence of their data.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from spiff_lambda_proxy.typeahead import bundle
from spiff_lambda_proxy.typeahead.folder import list_files
from spiff_lambda_proxy.typeahead.packed import PackedList, pack
from spiff_lambda_proxy.typeahead.records import ListError, TypeaheadList, read_list

from . import BuildError, geodata

__all__ = ["Lists", "geodata", "prepare", "summary", "write"]

TEAM_FOLDER = "typeahead"
NOTICE = "NOTICE.txt"
LICENCE = "LICENSE-countries-states-cities.md"


class Bundled(NamedTuple):
    entry: bundle.Entry
    data: bytes
    # Records that were exact copies of others, answered once.
    dropped: int


class Lists(NamedTuple):
    bundled: list[Bundled]
    built_ins: geodata.PackedBuiltIns | None
    # Built-in categories a team's file replaces.
    replaced: list[str]


def prepare(project: Path, team_folder: Path, *, with_built_ins: bool, work: Path) -> Lists:
    team = _team_lists(project, team_folder)
    built_ins = geodata.packed_built_ins(project, work) if with_built_ins else None
    bundled = {}
    if built_ins is not None:
        for name, (data, count, dropped) in built_ins.packed.items():
            entry = bundle.Entry(name, name + bundle.LIST_SUFFIX, bundle.BUILT_IN, built_ins.pin.label, count)
            bundled[name] = Bundled(entry, data, dropped)
    replaced = sorted(name for name in team if name in bundled)
    for name, (shown, typeahead_list) in team.items():
        data = pack(typeahead_list)
        count = PackedList(data).count
        entry = bundle.Entry(name, name + bundle.LIST_SUFFIX, bundle.TEAM, shown, count)
        bundled[name] = Bundled(entry, data, len(typeahead_list.items) - count)
    return Lists([bundled[name] for name in sorted(bundled)], built_ins, replaced)


def write(lists: Lists, root: Path) -> None:
    """The lists and their manifest into the staging directory (nothing when there are none)."""
    if not lists.bundled:
        return
    folder = root / bundle.FOLDER
    folder.mkdir()
    for item in lists.bundled:
        (folder / item.entry.file).write_bytes(item.data)
    (folder / bundle.MANIFEST).write_bytes(bundle.manifest_json([item.entry for item in lists.bundled]))
    if lists.built_ins is not None:
        (folder / LICENCE).write_bytes(lists.built_ins.licence)
        origin = lists.built_ins.pin.label
        (folder / NOTICE).write_text(
            f"The built-in typeahead lists (countries, states, cities) come from {origin}.\n"
            f"{geodata.CREDIT}\nThe licence's text: {LICENCE}.\n"
        )


def summary(lists: Lists) -> str:
    """The summary's line: every category with its record count, and where the records come from."""
    if not lists.bundled:
        return f"none (TYPEAHEAD_BUILTINS=0 and no lists in {TEAM_FOLDER}/)"
    built_in = [item for item in lists.bundled if item.entry.origin == bundle.BUILT_IN]
    parts = []
    if built_in and lists.built_ins is not None:
        counts = ", ".join(f"{item.entry.name} {item.entry.records:,}" for item in built_in)
        parts.append(f"{counts} (built in, from {lists.built_ins.pin.label}, ODbL)")
    for item in lists.bundled:
        if item.entry.origin != bundle.TEAM:
            continue
        notes = [item.entry.source]
        if item.entry.name in lists.replaced:
            notes.append("replaces the built-in list")
        if item.dropped:
            notes.append(f"{item.dropped:,} repeated records answered once")
        parts.append(f"{item.entry.name} {item.entry.records:,} ({'; '.join(notes)})")
    return "; ".join(parts)


def _team_lists(project: Path, folder: Path) -> dict[str, tuple[str, TypeaheadList]]:
    shown = _shown(project, folder)
    try:
        files = list_files(str(folder), shown)
        return {
            name: (file.shown, read_list(Path(file.path).read_bytes(), file.kind, file.shown))
            for name, file in files.items()
        }
    except ListError as error:
        raise BuildError(f"{error} (typeahead lists: docs/typeahead.md)") from None


def _shown(project: Path, folder: Path) -> str:
    try:
        return folder.resolve().relative_to(project.resolve()).as_posix()
    except ValueError:
        return str(folder)
