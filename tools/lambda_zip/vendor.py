"""Runtime dependencies and connectors.txt packages, vendored for the target runtime by pip.

One `pip install --target` resolves everything together (so shared dependencies
agree and nothing overwrites anything), with only manylinux or pure-Python
wheels for the target's Python and CPU, whatever machine runs the build.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path

from . import BuildError
from .target import Runtime

RUNTIME_REQUIREMENTS = "requirements.txt"
AWS_REQUIREMENTS = "requirements-aws.txt"
# Installed as dependencies, then left out of the archive (each with its reason there).
EXCLUDED_DISTRIBUTIONS = "zip-exclude.txt"

# What pip prints when it cannot talk to the index at all (as opposed to "no such version").
_NETWORK_SYMPTOMS = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "nodename nor servname",
    "Network is unreachable",
    "Connection refused",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ProxyError",
    "SSLError",
    "Max retries exceeded",
)
_VCS_PREFIX = re.compile(r"^(git|hg|svn|bzr)\+", re.IGNORECASE)
# `name @ url` (PEP 508 direct reference), optionally with extras.
_DIRECT_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@")


@dataclass(frozen=True)
class Distribution:
    name: str
    version: str
    # Top-level files and directories of the archive this distribution installed.
    top_level: frozenset[str] = field(default_factory=frozenset)

    @property
    def key(self) -> str:
        return canonical_name(self.name)


def canonical_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Vendored:
    distributions: list[Distribution]
    # The requirement files pip was given (connectors.txt as prepared: local entries as wheels).
    requirement_files: list[Path]
    # Installed by pip, then removed because zip-exclude.txt lists them.
    left_out: list[Distribution] = field(default_factory=list)

    def unpinned(self) -> list[str]:
        """name==version of what was resolved freely: a later build may pick other versions."""
        pinned = pinned_names(self.requirement_files)
        return [f"{d.name}=={d.version}" for d in self.distributions if d.key not in pinned]


def vendor(
    project: Path,
    root: Path,
    runtime: Runtime,
    *,
    pip_python: str,
    connectors_file: Path | None,
    bundle_boto3: bool,
    work: Path,
) -> Vendored:
    """Install every runtime dependency for `runtime` into `root` (which must not exist yet)."""
    requirement_files = [project / RUNTIME_REQUIREMENTS]
    if bundle_boto3:
        requirement_files.append(project / AWS_REQUIREMENTS)
    if connectors_file is not None and connectors_file.exists():
        requirement_files.append(_prepare_connectors_file(connectors_file, project, pip_python, work))
    args = [
        "install",
        "--target",
        str(root),
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        runtime.python_version,
        "--abi",
        runtime.abi,
        *[arg for tag in runtime.platform_tags() for arg in ("--platform", tag)],
        # Bytecode comes later, from the target Python and reproducible.
        "--no-compile",
        "--no-warn-script-location",
    ]
    for requirements in requirement_files:
        args += ["--requirement", str(requirements)]
    run_pip(pip_python, args, cwd=project, doing="download the Linux wheels for the target runtime")
    tidy(root)
    wanted = requirement_names([connectors_file]) if connectors_file is not None else set()
    unwanted = requirement_names([project / EXCLUDED_DISTRIBUTIONS]) - wanted
    left_out = leave_out(root, unwanted)
    return Vendored(installed_distributions(root), requirement_files, left_out)


def _prepare_connectors_file(connectors_file: Path, project: Path, pip_python: str, work: Path) -> Path:
    """connectors.txt with local and VCS entries replaced by wheels built from them.

    `--only-binary=:all:` (needed for a foreign platform) refuses to build
    anything, so those entries are built into wheels first; they must be pure
    Python, since a wheel built here would be for this machine.
    """
    wheels = work / "connector-wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    lines = []
    for line in logical_lines(connectors_file.read_text()):
        if line.startswith(("-r ", "-c ", "--requirement", "--constraint")):
            option, _, path = line.partition(" ")
            lines.append(f"{option} {_absolute(path.strip(), connectors_file.parent)}")
        elif line.startswith(("-e ", "--editable")):
            lines.append(str(_build_wheel(line.split(None, 1)[1], project, pip_python, wheels)))
        elif line.startswith("-"):
            lines.append(line)
        elif _is_wheel(line):
            lines.append(_absolute(line, project) if not _is_url(line) else line)
        elif _needs_building(line):
            lines.append(str(_build_wheel(line, project, pip_python, wheels)))
        else:
            lines.append(line)
    prepared = work / "connectors-prepared.txt"
    prepared.write_text("".join(f"{line}\n" for line in lines))
    return prepared


def logical_lines(text: str) -> list[str]:
    """Requirement lines without comments, blank lines and backslash continuations."""
    joined = re.sub(r"\\\r?\n", " ", text)
    lines = []
    for raw in joined.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if line:
            lines.append(line)
    return lines


def _is_url(line: str) -> bool:
    return "://" in line or bool(_VCS_PREFIX.match(line))


def _is_wheel(line: str) -> bool:
    return line.split(";")[0].strip().endswith(".whl") and not _DIRECT_REFERENCE.match(line)


def _needs_building(line: str) -> bool:
    return line.startswith((".", "/", "~")) or _is_url(line) or bool(_DIRECT_REFERENCE.match(line))


def _absolute(path: str, base: Path) -> str:
    return str((base / os.path.expanduser(path)).resolve())


def _build_wheel(spec: str, project: Path, pip_python: str, wheels: Path) -> Path:
    if spec.startswith((".", "~")):
        spec = _absolute(spec, project)
    before = set(wheels.glob("*.whl"))
    run_pip(
        pip_python,
        ["wheel", "--no-deps", "--wheel-dir", str(wheels), spec],
        cwd=project,
        doing=f"build a wheel from the connectors.txt entry {spec!r}",
    )
    built = sorted(set(wheels.glob("*.whl")) - before)
    if len(built) != 1:
        raise BuildError(f"Building {spec!r} from connectors.txt gave {len(built)} wheels, expected one.")
    if not built[0].name.endswith("-none-any.whl"):
        raise BuildError(
            f"{spec!r} (connectors.txt) builds a platform-specific wheel ({built[0].name}) on this "
            "machine, which would not load on Lambda. Publish manylinux wheels for it and list it by "
            "name, or keep the connector pure Python."
        )
    return built[0]


def run_pip(pip_python: str, args: list[str], *, cwd: Path, doing: str) -> None:
    env = dict(os.environ)
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_ROOT_USER_ACTION="ignore", PIP_NO_INPUT="1")
    command = [pip_python, "-m", "pip", *args]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BuildError(explain_pip_failure(done.stdout + done.stderr, doing, pip_python))


def explain_pip_failure(output: str, doing: str, pip_python: str) -> str:
    tail = "\n".join("    " + line for line in output.strip().splitlines()[-25:])
    if "No module named pip" in output:
        headline = (
            f"{pip_python} has no pip. Install it (Debian/Ubuntu: apt-get install python3-pip; "
            f"or {pip_python} -m ensurepip --upgrade) and run make zip again."
        )
    elif any(symptom in output for symptom in _NETWORK_SYMPTOMS):
        headline = (
            f"pip could not reach the package index to {doing}. make zip downloads the Linux wheels "
            "for the Lambda runtime from PyPI (or the index your pip configuration names: "
            "PIP_INDEX_URL, pip.conf); check the network, proxy (HTTPS_PROXY) and index settings."
        )
    elif "No matching distribution found" in output or "Could not find a version" in output:
        missing = re.findall(r"No matching distribution found for (\S+)", output)
        which = f" for {', '.join(dict.fromkeys(missing))}" if missing else ""
        headline = (
            f"pip found no wheel{which} that runs on the target Lambda runtime. Only manylinux or "
            "pure-Python wheels for that Python version and CPU can go into the archive: pick a "
            "version that publishes them, or another PYTHON_VERSION/ARCH. (If pip also could not "
            "read the package index, check the network and PIP_INDEX_URL.)"
        )
    else:
        headline = f"pip failed to {doing}."
    return f"{headline}\n  pip said:\n{tail}"


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


def requirement_names(files: list[Path]) -> set[str]:
    """Canonical names of the packages these requirement files name, pinned or not."""
    names = set()
    for path in files:
        if not path.exists():
            continue
        for line in logical_lines(path.read_text()):
            match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(?:[=<>!~;@]|$)", line)
            if match and not line.startswith("-"):
                names.add(canonical_name(match.group(1)))
    return names


def pinned_names(files: list[Path]) -> set[str]:
    """Canonical names pinned with == in these requirement files."""
    pinned = set()
    for path in files:
        if not path.exists():
            continue
        for line in logical_lines(path.read_text()):
            match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*===?", line)
            if match:
                pinned.add(canonical_name(match.group(1)))
            elif _is_wheel(line):
                # A wheel file is one exact version: name-version-tags.whl.
                pinned.add(canonical_name(Path(line.split(";")[0].strip()).name.split("-")[0]))
    return pinned
