"""Requirement lines: what connectors.txt says, and what wheels declare (PEP 508).

A small reader of our own: the build runs with nothing but python3 and pip,
and pip's own parser is not a public API.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

_VCS_PREFIX = re.compile(r"^(git|hg|svn|bzr)\+", re.IGNORECASE)
# `name @ url` (PEP 508 direct reference), optionally with extras.
_DIRECT_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@")
_REQUIREMENT = re.compile(
    r"\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?P<extras>\[[^\]]*\])?\s*(?P<rest>.*)"
)
_INCLUDE_OPTIONS = ("-r", "-c", "--requirement", "--constraint")
_FIND_LINKS_OPTIONS = ("-f", "--find-links")


def canonical_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Requirement:
    """One PEP 508 requirement: `name[extras] specifier ; marker` or `name[extras] @ url ; marker`."""

    name: str
    extras: str = ""  # "[a,b]" or ""
    specifier: str = ""  # ">=1.0,<2" or ""
    url: str = ""
    marker: str = ""

    @property
    def key(self) -> str:
        return canonical_name(self.name)

    def __str__(self) -> str:
        text = f"{self.name}{self.extras}"
        text += f" @ {self.url}" if self.url else self.specifier
        return f"{text} ; {self.marker}" if self.marker else text

    def renamed(self, name: str) -> Requirement:
        return replace(self, name=name)

    def by_name_only(self) -> Requirement:
        """The same requirement met by whichever release of that name the build provides."""
        return replace(self, specifier="", url="")


def parse_requirement(text: str) -> Requirement | None:
    match = _REQUIREMENT.fullmatch(text)
    if match is None:
        return None
    rest = match.group("rest").strip()
    url = marker = ""
    if rest.startswith("@"):
        # A URL ends at whitespace; a marker after it needs the whitespace before `;`.
        url, _, after = rest[1:].strip().partition(" ")
        marker = after.strip().removeprefix(";").strip()
        specifier = ""
    else:
        specifier, _, marker = rest.partition(";")
        specifier = specifier.strip()
        if specifier.startswith("(") and specifier.endswith(")"):  # Requires-Dist: x (>=1)
            specifier = specifier[1:-1].strip()
        if specifier and not specifier.startswith(("=", "<", ">", "!", "~")):
            return None
    return Requirement(
        match.group("name"), match.group("extras") or "", specifier.replace(" ", ""), url, marker.strip()
    )


def logical_lines(text: str) -> list[str]:
    """Requirement lines without comments, blank lines and backslash continuations."""
    joined = re.sub(r"\\\r?\n", " ", text)
    lines = []
    for raw in joined.splitlines():
        line = re.sub(r"(^|\s)#.*", "", raw).strip()
        if line:
            lines.append(line)
    return lines


@dataclass(frozen=True)
class Entry:
    """One line of connectors.txt, as the build treats it."""

    line: str  # as written (after continuations and comments are removed)
    kind: str  # "option", "name" (from the index), "wheel" (a file) or "build" (folder, VCS, URL)
    target: str = ""  # what pip is given: the line with paths made absolute


def read_entries(connectors_file: Path, project: Path) -> list[Entry]:
    """connectors.txt's lines; paths of entries are relative to the project root, those of
    -r/-c/--find-links to connectors.txt (as pip reads them)."""
    entries = []
    for line in logical_lines(connectors_file.read_text()):
        entries.append(_entry(line, connectors_file.parent, project))
    return entries


def _entry(line: str, here: Path, project: Path) -> Entry:
    option, _, value = line.partition(" ")
    if option in _INCLUDE_OPTIONS:
        return Entry(line, "option", f"{option} {absolute(value.strip(), here)}")
    if option in _FIND_LINKS_OPTIONS and not is_url(value.strip()):
        return Entry(line, "option", f"{option} {absolute(value.strip(), here)}")
    if option in ("-e", "--editable"):
        return Entry(line, "build", _local(value.strip(), project))
    if line.startswith("-"):
        return Entry(line, "option", line)
    if is_wheel(line):
        return Entry(line, "wheel", line if is_url(line) else absolute(line, project))
    if line.startswith((".", "/", "~")) or is_url(line) or _DIRECT_REFERENCE.match(line):
        return Entry(line, "build", _local(line, project))
    return Entry(line, "name", line)


def _local(spec: str, project: Path) -> str:
    return absolute(spec, project) if spec.startswith((".", "~")) else spec


def is_url(line: str) -> bool:
    return "://" in line or bool(_VCS_PREFIX.match(line))


def is_wheel(line: str) -> bool:
    return line.split(";")[0].strip().endswith(".whl") and not _DIRECT_REFERENCE.match(line)


def absolute(path: str, base: Path) -> str:
    return str((base / os.path.expanduser(path)).resolve())


def redact(text: str) -> str:
    """Text with the credentials of any URL in it (`https://token@host`, `user:password@`) hidden."""
    return re.sub(r"(\w://)[^/@\s'\"]+@", r"\1****@", text)


def url_host(spec: str) -> str | None:
    """The host a URL requirement (`git+https://host/...`, `name @ https://...`) would reach."""
    match = re.search(r"://(?:[^@/]*@)?([^/:@?#\s]+)", spec)
    if match is None or spec.split("://", 1)[0].endswith("file"):
        return None
    return match.group(1)


def requirement_names(files: list[Path]) -> set[str]:
    """Canonical names of the packages these requirement files name, pinned or not."""
    names = set()
    for path in files:
        if not path.exists():
            continue
        for line in logical_lines(path.read_text()):
            match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(?:[=<>!~;@]|\Z)", line)
            if match and not line.startswith("-"):
                names.add(canonical_name(match.group(1)))
    return names


def pinned_names(files: list[Path]) -> set[str]:
    """Canonical names pinned with == in these requirement files, or given as wheel files."""
    pinned = set()
    for path in files:
        if not path.exists():
            continue
        for line in logical_lines(path.read_text()):
            match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*===?", line)
            if match:
                pinned.add(canonical_name(match.group(1)))
            elif is_wheel(line):
                # A wheel file is one exact version: name-version-tags.whl.
                pinned.add(canonical_name(Path(line.split(";")[0].strip()).name.split("-")[0]))
    return pinned
