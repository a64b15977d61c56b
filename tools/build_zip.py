"""Build the Lambda deployment archive: `python3 -m tools.build_zip` (what `make zip` runs).

Needs only python3 with pip and access to the package index: the wheels are
chosen for the Lambda runtime, not for this machine, so no Docker is needed.
Options mirror the Makefile variables; `--help` lists them.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tools.lambda_zip import BuildError, typeahead
from tools.lambda_zip.archive import Digest, write_archive
from tools.lambda_zip.bytecode import CompileResult, compile_tree
from tools.lambda_zip.manifest import Made
from tools.lambda_zip.manifest import make as make_manifest
from tools.lambda_zip.platform_check import foreign_files
from tools.lambda_zip.requirements import redact
from tools.lambda_zip.sources import CONNECTORS_DIR, check_collisions, copy_sources
from tools.lambda_zip.summary import (
    DIRECT_UPLOAD_LIMIT,
    UNPACKED_LIMIT,
    CommandListing,
    Sizes,
    check_limits,
    connector_rows,
    list_commands,
    measure,
    megabytes,
    percent,
)
from tools.lambda_zip.target import RUNTIMES, Interpreter, Runtime, find_python
from tools.lambda_zip.vendor import EXCLUDED_DISTRIBUTIONS, Vendored, vendor

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_PYTHON_VERSION = "3.13"


def _flag(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise argparse.ArgumentTypeError(f"expected 0 or 1, got {value!r}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make zip", description=__doc__.splitlines()[0])
    parser.add_argument("--python-version", default=DEFAULT_PYTHON_VERSION, choices=sorted(RUNTIMES))
    parser.add_argument("--arch", default="x86_64", choices=["x86_64", "arm64"])
    parser.add_argument("--bundle-boto3", type=_flag, default=False, help="vendor requirements-aws.txt")
    parser.add_argument("--precompile", type=_flag, default=True, help="ship bytecode (default 1)")
    parser.add_argument("--connectors-file", type=Path, default=PROJECT / "connectors.txt")
    parser.add_argument("--connectors-dir", type=Path, default=PROJECT / CONNECTORS_DIR)
    parser.add_argument(
        "--typeahead-builtins",
        type=_flag,
        default=True,
        help="bundle the built-in typeahead lists (default 1)",
    )
    parser.add_argument("--typeahead-dir", type=Path, default=PROJECT / typeahead.TEAM_FOLDER)
    parser.add_argument("--dist-dir", type=Path, default=PROJECT / "dist")
    parser.add_argument("--build-dir", type=Path, default=PROJECT / "build")
    parser.add_argument(
        "--target-python",
        default=os.environ.get("TARGET_PYTHON") or None,
        help="the CPython X.Y to compile bytecode with (default: found in pyenv, PATH or uv)",
    )
    return parser.parse_args(argv)


@dataclass
class Build:
    runtime: Runtime
    archive: Path
    python: Interpreter | None
    pip_python: str
    vendored: Vendored
    connector_entries: list[str]
    precompile: bool
    bundle_boto3: bool
    bytecode: CompileResult | None
    unpinned: list[str]
    sizes: Sizes
    listing: CommandListing
    made: Made
    typeahead: typeahead.Lists
    # What the archive check found that is not fatal, for the summary.
    notes: list[str]
    warnings: list[str]


def build(args: argparse.Namespace) -> Build:
    runtime = Runtime.parse(args.python_version, args.arch)
    python = find_python(runtime.python_version, args.target_python)
    if python is None:
        warn(_no_python_message(runtime, args.precompile))
    pip_python = python.path if python is not None and _has_pip(python.path) else sys.executable
    stem = runtime.archive_name.removesuffix(".zip")
    root = args.build_dir / stem
    work = args.build_dir / f"{stem}.work"
    for stale in (root, work):
        shutil.rmtree(stale, ignore_errors=True)
    work.mkdir(parents=True)
    archive = args.dist_dir / runtime.archive_name
    # A failed build must not leave the previous archive looking like its result.
    archive.unlink(missing_ok=True)

    # First: a bad list in typeahead/ stops the build before anything is downloaded.
    data = f" (the built-in ones: {typeahead.geodata.DATA_REQUIREMENTS})" if args.typeahead_builtins else ""
    step(f"Typeahead lists{data}")
    lists = typeahead.prepare(PROJECT, args.typeahead_dir, with_built_ins=args.typeahead_builtins, work=work)

    step(f"Vendoring dependencies for {runtime.describe()} (pip of {pip_python})")
    vendored = vendor(
        PROJECT,
        root,
        runtime,
        pip_python=pip_python,
        connectors_file=args.connectors_file,
        bundle_boto3=args.bundle_boto3,
        work=work,
        connectors_dir=args.connectors_dir,
    )
    check_collisions(vendored.distributions, args.connectors_dir)
    connector_entries = copy_sources(PROJECT, root, args.connectors_dir)
    typeahead.write(lists, root)
    # Before the bytecode: the manifest's own module (_build.py) is compiled with the rest.
    step("Discovering the connectors for the manifest, as the function would at cold start")
    made = make_manifest(root, python.path if python is not None else None)

    bytecode = None
    if args.precompile and python is not None:
        step(f"Compiling bytecode with Python {python.version} ({python.path})")
        bytecode = compile_tree(root, python)
        for path, reason in bytecode.skipped:
            warn(f"{path} is not valid Python {runtime.python_version}, left without bytecode: {reason}")

    problems = foreign_files(root, runtime, expect_bytecode=bytecode is not None)
    if problems:
        shown = "\n".join(f"  {line}" for line in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise BuildError(f"These files would not load on {runtime.describe()}:\n{shown}{more}")

    unpinned = vendored.unpinned()  # before the prepared connectors.txt goes with `work`
    step(f"Writing {archive}")
    write_archive(root, archive)
    shutil.rmtree(work, ignore_errors=True)

    sizes = measure(archive, vendored.distributions, connector_entries)
    listing = list_commands(archive, python.path if python is not None else sys.executable)
    notes, warnings = _judge(listing, runtime, python, args.bundle_boto3, archive)
    if made.missing_because is None and not (listing.from_manifest and listing.same_as_live):
        archive.unlink()
        raise BuildError(
            "the archive's connector manifest does not answer /v1/commands and /v1/auths exactly as "
            f"live discovery does there (from the manifest: {listing.from_manifest}); "
            f"{shown_path(archive)} was not kept."
        )
    check_limits(sizes, archive)
    return Build(
        runtime, archive, python, pip_python, vendored, connector_entries, args.precompile, args.bundle_boto3,
        bytecode, unpinned, sizes, listing, made, lists, notes, warnings,
    )  # fmt: skip


def _no_python_message(runtime: Runtime, precompile: bool) -> str:
    if not precompile:
        return (
            f"no Python {runtime.python_version} found here: the archive's commands are checked with "
            f"Python {sys.version.split()[0]} instead of the target version."
        )
    return (
        f"no Python {runtime.python_version} found here, so the archive carries NO BYTECODE: "
        "Lambda will compile every module on each cold start, and the first request after one "
        f"is slower. Install it (pyenv install {runtime.python_version}, uv python install "
        f"{runtime.python_version}, or your package manager) or point TARGET_PYTHON at one; "
        "PRECOMPILE=0 builds without bytecode on purpose."
    )


def _has_pip(python: str) -> bool:
    done = subprocess.run([python, "-m", "pip", "--version"], capture_output=True, timeout=60, check=False)
    return done.returncode == 0


def report(result: Build) -> None:
    """The summary of a build that succeeded: what is in the archive, and what to know about it."""
    runtime = result.runtime
    vendored = result.vendored
    sizes = result.sizes
    listing = result.listing

    print(f"\nBuilt {shown_path(result.archive)}")
    rows = [
        ("runtime", f"{runtime.describe()}; handler lambda_function.lambda_handler"),
        ("bytecode", _bytecode_line(result)),
        (
            "zip size",
            f"{megabytes(sizes.zipped)} of {megabytes(DIRECT_UPLOAD_LIMIT)} for direct upload "
            f"({percent(sizes.zipped, DIRECT_UPLOAD_LIMIT)})",
        ),
        (
            "unpacked",
            f"{megabytes(sizes.unpacked)} of {megabytes(UNPACKED_LIMIT)} "
            f"({percent(sizes.unpacked, UNPACKED_LIMIT)})",
        ),
        ("largest", "; ".join(f"{what} {megabytes(size)}" for what, size in sizes.parts[:5])),
        ("packages", ", ".join(f"{d.name} {d.version}" for d in vendored.distributions) or "none"),
        *connector_rows(vendored),
    ]
    if vendored.left_out:
        left_out = ", ".join(f"{d.name} {d.version}" for d in vendored.left_out)
        rows.append(("left out", f"{left_out} (see {EXCLUDED_DISTRIBUTIONS})"))
    rows.append((f"commands ({len(listing.ids)})", _commands_line(result, listing)))
    rows.append(("typeahead", typeahead.summary(result.typeahead)))
    rows.append(("manifest", _manifest_line(result.made)))
    digest = Digest(result.archive)
    rows += [("CodeSha256", digest.base64), ("sha256", digest.hex)]
    for label, value in rows:
        print(f"  {label:<14} {redact(value)}")
    if result.unpinned:
        print(
            "  note: not pinned anywhere, so a later build may pick newer versions: "
            f"{', '.join(result.unpinned)} (pin them in connectors.txt)"
        )
    for note in result.notes:
        print(f"  note: {note}")
    for warning in result.warnings:
        warn(warning)
    if result.python is None:
        # Repeated here because the first warning scrolls away behind pip's work.
        warn(_no_python_message(runtime, result.precompile))


def _commands_line(result: Build, listing: CommandListing) -> str:
    text = ", ".join(listing.ids)
    if not text:
        text = "none" if listing.failures else "none (no connector packages in connectors/ or connectors.txt)"
    if result.python is None:
        text += f" (checked with Python {sys.version.split()[0]}, not the target version)"
    return text


def _manifest_line(made: Made) -> str:
    if made.missing_because is None:
        return f"build {made.build_id}: /v1/commands answers without importing a connector"
    return f"none, because {made.missing_because}: every cold start imports every connector"


# Importable on Lambda without being in the archive: the Python runtime ships them.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil")


def _judge(
    listing: CommandListing, runtime: Runtime, python: Interpreter | None, bundle_boto3: bool, archive: Path
) -> tuple[list[str], list[str]]:
    """The verdict on the archive's own listing of its commands: (notes, warnings), or BuildError
    (and no archive) when it is broken."""
    notes: list[str] = []
    failures: list[str] = []
    for failure in listing.failures:
        missing = re.search(r"No module named '([^'.]+)", failure)
        if missing and missing.group(1) in RUNTIME_PROVIDED and not bundle_boto3:
            notes.append(
                f"{failure.split(':')[0]} imports {missing.group(1)} when loaded; the Lambda runtime "
                "provides it, so its commands are not listed here (and cold starts pay for that import)"
            )
            continue
        hint = "; list the package that provides that module in connectors.txt" if missing else ""
        failures.append(
            f"a connector failed to load in the archive, its commands are missing: {failure}{hint}"
        )
    if listing.error is None and not failures:
        return notes, []
    problem = (
        f"the archive could not list its commands:\n{listing.error}"
        if listing.error
        else "some connectors failed to load in the archive:\n" + "\n".join(f"  {line}" for line in failures)
    )
    # Only an import by the target Python on a machine like Lambda's is proof of a broken archive.
    if python is not None and runtime.host_can_run_binaries():
        archive.unlink()  # nobody should deploy an archive known to be broken
        raise BuildError(f"{problem}\n{shown_path(archive)} was not kept.")
    return notes, [
        *failures,
        problem + "\n(checked on a machine unlike the target runtime; it may still work on Lambda)",
    ]


def _bytecode_line(result: Build) -> str:
    if result.bytecode is None:
        return "none" + (" (PRECOMPILE=0)" if result.python is not None else " - target Python not found")
    assert result.python is not None
    return (
        f"{result.bytecode.compiled} modules compiled by Python {result.python.version} "
        "(unchecked-hash, paths under /var/task)"
    )


def shown_path(path: Path) -> str:
    """The path relative to the working directory when it is below it (shorter to read)."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def warn(message: str) -> None:
    print(f"make zip: WARNING: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()
    args = parse_args(argv)
    try:
        result = build(args)
        report(result)
    except BuildError as error:
        print(f"make zip: error: {redact(str(error))}", file=sys.stderr)
        return 1
    print(f"  built in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
