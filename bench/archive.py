"""Building the archive with `make zip`'s own build module, and measuring it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tools.lambda_zip.target import Runtime

PROJECT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ArchiveFacts:
    path: Path
    zipped: int
    unpacked: int
    files: int
    # (top-level entry, compressed bytes), largest first; bytecode counts for its package.
    parts: list[tuple[str, int]]


def build(
    workdir: Path,
    runtime: Runtime,
    *,
    precompile: bool,
    target_python: str,
    connectors_file: Path | None = None,
) -> Path:
    """`make zip` into `workdir`; returns the archive. Fails loudly with the build's output."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.build_zip",
            "--python-version",
            runtime.python_version,
            "--arch",
            runtime.arch,
            "--precompile",
            "1" if precompile else "0",
            "--target-python",
            target_python,
            "--dist-dir",
            str(workdir / "dist"),
            "--build-dir",
            str(workdir / "build"),
            *(["--connectors-file", str(connectors_file)] if connectors_file else []),
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"make zip failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return workdir / "dist" / runtime.archive_name


def measure(archive: Path) -> ArchiveFacts:
    with zipfile.ZipFile(archive) as opened:
        infos = [info for info in opened.infolist() if not info.is_dir()]
    parts: dict[str, int] = {}
    for info in infos:
        parts[_owner(info.filename)] = parts.get(_owner(info.filename), 0) + info.compress_size
    return ArchiveFacts(
        path=archive,
        zipped=archive.stat().st_size,
        unpacked=sum(info.file_size for info in infos),
        files=len(infos),
        parts=sorted(parts.items(), key=lambda item: -item[1]),
    )


def _owner(name: str) -> str:
    top = name.split("/")[0]
    if top == "__pycache__":  # bytecode of a top-level module
        return name.split("/")[1].split(".")[0] + ".py"
    if top.endswith(".dist-info"):
        return "(metadata and licences)"
    return top


def unpack(archive: Path, destination: Path) -> Path:
    """The archive unpacked into an empty directory, as Lambda's /var/task."""
    destination.mkdir(parents=True)
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(destination)
    return destination


def without_manifest(archive: Path, destination: Path) -> Path:
    """The archive unpacked without its connector manifest: discovery runs live, as before there was one."""
    import shutil

    root = unpack(archive, destination)
    shutil.rmtree(root / "spiff_lambda_proxy" / "_manifest")
    return root
