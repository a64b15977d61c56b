"""`make build-ProxyFunction`: what `sam build` and `sam sync` get for the function (BuildMethod: makefile).

SAM runs the target with ARTIFACTS_DIR set and zips that directory itself. The target runs `make zip`'s
build and unpacks the archive there, so SAM deploys exactly the files `make zip` ships (the bytecode
included); only the zip around them is SAM's own.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import zipfile
from pathlib import Path

from tools import build_zip
from tools.lambda_zip import BuildError
from tools.lambda_zip.target import Runtime

PROJECT = Path(__file__).resolve().parent.parent.parent
# Proof that a non-empty ARTIFACTS_DIR holds an earlier build of ours, so clearing it loses nothing.
_OUR_FILE = "lambda_function.py"


def unpack(archive: Path, artifacts_dir: Path) -> int:
    """Replace the contents of `artifacts_dir` by the archive's files; how many there are."""
    if artifacts_dir.exists() and any(artifacts_dir.iterdir()):
        if not (artifacts_dir / _OUR_FILE).is_file():
            raise BuildError(
                f"ARTIFACTS_DIR {artifacts_dir} holds files that are not an earlier build of the proxy; "
                "not clearing it. SAM sets ARTIFACTS_DIR to an empty directory of its own."
            )
        shutil.rmtree(artifacts_dir)
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(artifacts_dir)
        return sum(1 for entry in zipped.infolist() if not entry.is_dir())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make build-ProxyFunction", description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts-dir", default="", help="where SAM collects the code (ARTIFACTS_DIR)")
    parser.add_argument("--python-version", default="3.13")
    parser.add_argument("--arch", default="x86_64")
    parser.add_argument("--bundle-boto3", default="0")
    parser.add_argument("--precompile", default="1")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.artifacts_dir.strip():
        print(
            "make build-ProxyFunction: ARTIFACTS_DIR is not set. `sam build` runs this target and sets it; "
            "to build the archive yourself, run `make zip`.",
            file=sys.stderr,
        )
        return 2
    status = build_zip.main(
        [
            *("--python-version", args.python_version, "--arch", args.arch),
            *("--bundle-boto3", args.bundle_boto3, "--precompile", args.precompile),
        ]
    )
    if status != 0:
        return status
    try:
        runtime = Runtime.parse(args.python_version, args.arch)
        count = unpack(PROJECT / "dist" / runtime.archive_name, Path(args.artifacts_dir).resolve())
    except BuildError as error:
        print(f"make build-ProxyFunction: {error}", file=sys.stderr)
        return 2
    print(f"  unpacked {count} files into {args.artifacts_dir} for SAM")
    return 0


if __name__ == "__main__":
    sys.exit(main())
