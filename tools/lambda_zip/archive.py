"""The deterministic zip: the same files give the same bytes, so CodeSha256 changes only with code.

Entries are sorted, every timestamp is 1980-01-01 (the zip format's epoch) and
permissions are 0644 for files and 0755 for directories, whatever the checkout
or umask says.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile
from pathlib import Path

FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644
DIRECTORY_MODE = 0o040755
_MSDOS_DIRECTORY = 0x10
_UNIX = 3


def write_archive(root: Path, destination: Path) -> None:
    """Zip everything under `root` into `destination` (written whole, then moved into place)."""
    entries = []
    for path in root.rglob("*"):
        relative = path.relative_to(root).as_posix()
        entries.append(relative + "/" if path.is_dir() else relative)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, FIXED_TIMESTAMP)
            info.create_system = _UNIX
            if name.endswith("/"):
                info.external_attr = (DIRECTORY_MODE << 16) | _MSDOS_DIRECTORY
                archive.writestr(info, b"")
            else:
                info.external_attr = FILE_MODE << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, (root / name).read_bytes(), compresslevel=9)
    os.replace(partial, destination)


class Digest:
    """An archive's SHA-256, in hex and in base64 (how Lambda shows it as CodeSha256)."""

    def __init__(self, path: Path) -> None:
        digest = hashlib.sha256()
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        self.hex = digest.hexdigest()
        self.base64 = base64.b64encode(digest.digest()).decode("ascii")
