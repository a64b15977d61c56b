"""Typeahead lists under `make serve` and `invoke`: the team's `typeahead/` folder as it is, and the
built-in lists packed once into `build/` (from the same pinned data `make zip` bundles).

The team's files are read on each server start, which a change to them triggers (reload.py watches
the folder), so an edited list is served at once; a bad one is named in the banner and its category
answers the error. Without the built-in data (offline on a first run, or TYPEAHEAD_BUILTINS=0) the
team's lists are still served, and the banner says why the built-in ones are not.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

from spiff_lambda_proxy.typeahead import bundle, catalogue
from spiff_lambda_proxy.typeahead.folder import list_files
from spiff_lambda_proxy.typeahead.records import ListError, read_list
from tools.lambda_zip import BuildError, geodata
from tools.lambda_zip import typeahead as bundling

from .server import PROJECT_ROOT

TEAM_FOLDER = PROJECT_ROOT / bundling.TEAM_FOLDER
DEFAULT_CACHE = PROJECT_ROOT / "build" / "typeahead-builtins"


class BuiltIns(NamedTuple):
    # The packed built-in lists, or None, and what to say about them.
    folder: Path | None
    note: str


def built_ins(enabled: bool, cache: Path = DEFAULT_CACHE) -> BuiltIns:
    """The built-in lists packed into `cache` (done once per data version), unless turned off."""
    if not enabled:
        return BuiltIns(None, "built-in lists off (TYPEAHEAD_BUILTINS=0)")
    try:
        pin = geodata.read_pin(PROJECT_ROOT)
        folder = cache / pin.sha256[:16]
        if not (folder / bundle.MANIFEST).is_file():
            print(
                f"Packing the built-in typeahead lists from {pin.label} (once) ...",
                file=sys.stderr,
                flush=True,
            )
            _pack_into(folder)
    except BuildError as error:
        first_line = str(error).splitlines()[0]
        return BuiltIns(None, f"built-in lists unavailable: {first_line}")
    return BuiltIns(folder, "")


def serve_lists(built: BuiltIns, team_folder: Path = TEAM_FOLDER) -> None:
    """Have the proxy serve the built-in lists and the team's folder (this process)."""
    folder = str(built.folder) if built.folder is not None else None
    catalogue.serve_from(catalogue.Places(folder, str(team_folder), bundling.TEAM_FOLDER))


def banner_line(built: BuiltIns, team_folder: Path = TEAM_FOLDER) -> str:
    """What the banner says: every category with its record count, and any list that is broken."""
    parts = []
    entries = bundle.read_manifest(str(built.folder)) if built.folder is not None else None
    team: dict[str, str] = {}
    try:
        for name, file in list_files(str(team_folder), bundling.TEAM_FOLDER).items():
            try:
                count = len(set(read_list(Path(file.path).read_bytes(), file.kind, file.shown).items))
                team[name] = f"{name} {count:,} ({file.shown})"
            except ListError as error:
                team[name] = f"{name} BROKEN: {error}"
    except ListError as error:
        parts.append(f"BROKEN: {error}")
    built_in = [f"{entry.name} {entry.records:,}" for entry in entries or () if entry.name not in team]
    if built_in:
        parts.append(", ".join(built_in) + " (built in)")
    parts += team.values()
    if built.note:
        parts.append(built.note)
    return "Typeahead: " + ("; ".join(parts) or f"no lists ({bundling.TEAM_FOLDER}/ is empty)")


def _pack_into(folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".packing-") as scratch:
        work = Path(scratch)
        lists = bundling.prepare(PROJECT_ROOT, work / "no-team-lists", with_built_ins=True, work=work)
        staging = work / "staging"
        staging.mkdir()
        bundling.write(lists, staging)
        try:
            os.rename(staging / bundle.FOLDER, folder)  # whole or not at all
        except OSError:
            if not (folder / bundle.MANIFEST).is_file():  # not another server packing the same
                raise
        shutil.rmtree(staging, ignore_errors=True)
