"""Wheels the build makes or is given: building them, reading what they declare and import,
and rewriting what they declare (Requires-Dist) before pip resolves.

Rewriting is how a connector's dependency on a URL (`x @ git+https://github.com/...`)
is met by a connectors.txt entry, or by the build's own SDK, without reaching
that URL: the rewritten wheel asks for `x` by name only.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .pip import run_pip

_IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+(\w+)|import[ \t]+(\w+))", re.M)


@dataclass(frozen=True)
class Wheel:
    path: Path
    name: str
    version: str
    requires: tuple[str, ...]  # its Requires-Dist values
    top_level: frozenset[str]  # modules and packages it installs at the root

    @property
    def is_pure(self) -> bool:
        """py3-none-any (or py2.py3-...): runs on any CPU and Python 3."""
        tags = self.path.name[:-4].split("-")[-3:]
        return tags[1:] == ["none", "any"] and "py3" in tags[0].split(".")

    @property
    def is_connector(self) -> bool:
        return any(name.startswith("connector_") for name in self.top_level)

    def sources(self) -> Iterator[tuple[str, bytes]]:
        with zipfile.ZipFile(self.path) as opened:
            for name in sorted(opened.namelist()):
                if name.endswith(".py") and ".dist-info/" not in name:
                    yield name, opened.read(name)


def read_wheel(path: Path) -> Wheel:
    with zipfile.ZipFile(path) as opened:
        names = opened.namelist()
        metadata_name = next(n for n in names if re.fullmatch(r"[^/]+\.dist-info/METADATA", n))
        headers = _headers(opened.read(metadata_name).decode("utf-8", "replace"))
    top_level = {name.split("/")[0].removesuffix(".py") for name in names if ".dist-info/" not in name}
    top_level |= {name.split("/")[1] for name in names if re.match(r"[^/]+\.data/(pure|plat)lib/[^/]+", name)}
    return Wheel(
        path,
        headers.get("Name", [path.name.split("-")[0]])[0],
        headers.get("Version", [""])[0],
        tuple(headers.get("Requires-Dist", [])),
        frozenset(name for name in top_level if not name.endswith(".data")),
    )


def _headers(metadata: str) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for line in metadata.split("\n\n", 1)[0].splitlines():
        name, colon, value = line.partition(":")
        if colon and not line[:1].isspace():
            headers.setdefault(name.strip(), []).append(value.strip())
    return headers


def with_requirements(wheel: Wheel, requires: list[str], directory: Path) -> Wheel:
    """A copy of `wheel` in `directory` that declares `requires` instead (RECORD kept true)."""
    directory.mkdir(parents=True, exist_ok=True)
    destination = directory / wheel.path.name
    with zipfile.ZipFile(wheel.path) as source, zipfile.ZipFile(destination, "w") as copy:
        infos = source.infolist()
        metadata_name = next(i.filename for i in infos if i.filename.endswith(".dist-info/METADATA"))
        metadata = _replace_requires(source.read(metadata_name).decode("utf-8"), requires).encode()
        for info in infos:
            data = source.read(info.filename)
            if info.filename == metadata_name:
                data = metadata
            elif info.filename.endswith(".dist-info/RECORD"):
                data = _record_with(data.decode("utf-8"), metadata_name, metadata).encode()
            copy.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return read_wheel(destination)


def _replace_requires(metadata: str, requires: list[str]) -> str:
    head, separator, body = metadata.partition("\n\n")
    lines, placed = [], False
    for line in head.splitlines():
        if line.startswith("Requires-Dist:"):
            if not placed:  # the new ones go where the old ones were
                lines += [f"Requires-Dist: {requirement}" for requirement in requires]
                placed = True
            continue
        lines.append(line)
    if not placed:
        lines += [f"Requires-Dist: {requirement}" for requirement in requires]
    return "\n".join(lines) + ("\n\n" + body if separator else "\n")


def _record_with(record: str, name: str, data: bytes) -> str:
    digest = _digest(data)
    lines = []
    for line in record.splitlines():
        if line.split(",")[0] == name:
            line = f"{name},sha256={digest},{len(data)}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def write_stand_in(directory: Path, name: str, version: str, requires: str) -> Path:
    """An empty wheel named `name` that only requires `requires`: it lets a requirement on a
    distribution that cannot go to Lambda be met by its substitute, whoever declared it."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{re.sub(r'[-_.]+', '_', name)}-{version}"
    files = {
        f"{stem}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        f"Requires-Dist: {requires}\n",
        f"{stem}.dist-info/WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    files[f"{stem}.dist-info/RECORD"] = (
        "".join(
            f"{member},sha256={_digest(data.encode())},{len(data.encode())}\n"
            for member, data in files.items()
        )
        + f"{stem}.dist-info/RECORD,,\n"
    )
    path = directory / f"{stem}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for member, data in files.items():
            wheel.writestr(zipfile.ZipInfo(member, (1980, 1, 1, 0, 0, 0)), data)
    return path


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(spec: str, pip_python: str, wheels: Path, *, cwd: Path, options: Iterable[str] = ()) -> Path:
    """`pip wheel --no-deps` of one requirement (a folder, VCS or other URL, or a name with
    --no-binary): the one wheel it made. Raises PipFailed."""
    wheels.mkdir(parents=True, exist_ok=True)
    before = set(wheels.glob("*.whl"))
    output = run_pip(pip_python, ["wheel", "--no-deps", "--wheel-dir", str(wheels), *options, spec], cwd=cwd)
    built = sorted(set(wheels.glob("*.whl")) - before)
    if len(built) == 1:
        return built[0]
    # pip leaves a wheel that is already there alone, and says which it is.
    saved = re.findall(r"(?:Saved|File was already downloaded) (\S+\.whl)", output)
    if not built and saved:
        return Path(saved[-1]) if Path(saved[-1]).is_absolute() else cwd / saved[-1]
    raise RuntimeError(f"pip wheel {spec!r} gave {len(built)} new wheels, expected one")


def imported_modules(sources: Iterable[tuple[str, bytes]]) -> set[str]:
    """The top-level modules these sources import (absolute imports, anywhere in the code)."""
    found: set[str] = set()
    for name, data in sources:
        try:
            tree = ast.parse(data, name)
        except (SyntaxError, ValueError):  # newer syntax than this Python: read the lines
            found |= {a or b for a, b in _IMPORT_LINE.findall(data.decode("utf-8", "replace"))}
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def folder_sources(folder: Path) -> list[tuple[str, bytes]]:
    return [(str(path), path.read_bytes()) for path in sorted(folder.rglob("*.py"))]
