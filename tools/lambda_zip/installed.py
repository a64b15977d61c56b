"""What pip installed into the staging directory: tidied, listed, and partly left out."""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path

from . import BuildError
from .requirements import canonical_name


@dataclass(frozen=True)
class Distribution:
    name: str
    version: str
    # Top-level files and directories of the archive this distribution installed.
    top_level: frozenset[str] = field(default_factory=frozenset)

    @property
    def key(self) -> str:
        return canonical_name(self.name)


def from_local_files(root: Path) -> set[str]:
    """Canonical names of what pip installed from a file or URL (not from the index): pip
    records where those came from in direct_url.json, which `tidy` then removes."""
    return {_distribution(d).key for d in root.glob("*.dist-info") if (d / "direct_url.json").exists()}


def tidy(root: Path) -> None:
    """Drop what pip leaves that Lambda never uses or that would differ from build to build."""
    shutil.rmtree(root / "bin", ignore_errors=True)  # console scripts, with this machine's shebang
    for cache in sorted(root.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache)
    for stray in list(root.rglob("*.py[co]")):
        stray.unlink()
    for dist_info in root.glob("*.dist-info"):
        # Records where a local wheel came from: an absolute path of this machine.
        (dist_info / "direct_url.json").unlink(missing_ok=True)
        _prune_record(root, dist_info / "RECORD")


def _prune_record(root: Path, record: Path) -> None:
    """Keep RECORD true to the archive: drop entries for files removed above."""
    if not record.exists():
        return
    kept = []
    for line in record.read_text().splitlines(keepends=True):
        row = next(csv.reader([line]), None)
        if not row:
            continue
        target = (root / row[0]).resolve()
        if target == record.resolve() or (target.is_relative_to(root.resolve()) and target.is_file()):
            kept.append(line)
    record.write_text("".join(kept))


def leave_out(root: Path, names: set[str]) -> list[Distribution]:
    """Remove the installed distributions with these canonical names, every file their
    RECORD lists; returns what was removed."""
    removed = []
    for dist_info in sorted(root.glob("*.dist-info")):
        distribution = _distribution(dist_info)
        if distribution.key not in names:
            continue
        record = dist_info / "RECORD"
        if not record.exists():
            raise BuildError(f"{dist_info.name} has no RECORD, so {distribution.name} cannot be left out.")
        folders = set()
        for row in csv.reader(record.read_text().splitlines()):
            target = (root / row[0]).resolve() if row else root
            if target.is_relative_to(root.resolve()) and target.is_file():
                target.unlink()
                folders.add(target.parent)
        shutil.rmtree(dist_info)
        # Deepest first, so a package's subfolders go before the package folder.
        for folder in sorted(folders, key=lambda path: len(path.parts), reverse=True):
            while folder != root.resolve() and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
        removed.append(distribution)
    return removed


def installed_distributions(root: Path) -> list[Distribution]:
    return [_distribution(dist_info) for dist_info in sorted(root.glob("*.dist-info"))]


def _distribution(dist_info: Path) -> Distribution:
    headers = HeaderParser().parsestr((dist_info / "METADATA").read_text(errors="replace"))
    top_level = set()
    record = dist_info / "RECORD"
    if record.exists():
        for row in csv.reader(record.read_text().splitlines()):
            if row and not row[0].startswith(".."):
                top_level.add(row[0].split("/")[0])
    return Distribution(str(headers["Name"]), str(headers["Version"]), frozenset(top_level))
