"""The project's own code, copied into the archive root next to the vendored packages.

Locally `lambda_function` puts `connectors/` on sys.path; in the archive its
packages sit at the root instead, so `connector_*` are top-level modules in both.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from . import BuildError
from .installed import Distribution

HANDLER_MODULE = "lambda_function.py"
PROXY_PACKAGE = "spiff_lambda_proxy"
# Outbound HTTP under the destination policy, used by the proxy and by connector_http.
SHARED_PACKAGES = ("spiff_outbound",)
CONNECTORS_DIR = "connectors"

# Our built-in connectors, and the published packages they replace (docs/http.md, docs/aws.md).
BUILT_IN_CONNECTORS = {"connector_http": "connector-http", "connector_aws": "connector-aws"}

# Never shipped: tests, caches, editor and VCS files, packaging leftovers.
_SKIPPED_NAMES = frozenset({"__pycache__", "tests", "test", "conftest.py", "build", "dist"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo", ".egg-info", ".orig", ".rej", ".swp", "~")


def copy_sources(project: Path, root: Path, connectors_dir: Path | None) -> list[str]:
    """Copy the handler, the proxy package and connectors/; return the connector entries copied."""
    _place(project / HANDLER_MODULE, root / HANDLER_MODULE, "the project")
    for package in (PROXY_PACKAGE, *SHARED_PACKAGES):
        _place(project / package, root / package, "the project")
    copied = []
    if connectors_dir is not None and connectors_dir.is_dir():
        for entry in sorted(connectors_dir.iterdir()):
            if not _importable(entry) or _skipped(entry):
                continue  # READMEs and the like: not on sys.path as modules, so not needed
            _place(entry, root / entry.name, f"{CONNECTORS_DIR}/")
            copied.append(entry.name)
    return copied


def check_collisions(distributions: list[Distribution], connectors_dir: Path | None) -> None:
    """Refuse a vendored package that has the top-level name of one of the project's own."""
    own = {HANDLER_MODULE, PROXY_PACKAGE, *SHARED_PACKAGES}
    if connectors_dir is not None and connectors_dir.is_dir():
        own |= {e.name for e in connectors_dir.iterdir() if _importable(e) and not _skipped(e)}
    for distribution in distributions:
        for name in sorted(distribution.top_level & own):
            what = f"{distribution.name} {distribution.version} (from connectors.txt or its dependencies)"
            if name in BUILT_IN_CONNECTORS:
                plugin = name.removeprefix("connector_")
                raise BuildError(
                    f"{what} installs {name}, the name of this project's built-in {plugin} connector "
                    f"({CONNECTORS_DIR}/{name}). The built-in one replaces the published "
                    f"{BUILT_IN_CONNECTORS[name]}: it offers the same command ids ({plugin}/...), so "
                    "diagrams keep working, and two packages cannot share a top-level name in the archive. "
                    f"Remove {distribution.name} from connectors.txt (and anything there that depends on it)."
                )
            raise BuildError(
                f"{what} installs {name}, which the project has too; two modules cannot share a top-level "
                f"name in the archive. Remove one of them (connectors.txt or {CONNECTORS_DIR}/)."
            )


def _importable(entry: Path) -> bool:
    if entry.is_dir():
        return entry.name.isidentifier()
    return entry.suffix == ".py" and entry.stem.isidentifier()


def _skipped(path: Path) -> bool:
    return path.name.startswith(".") or path.name in _SKIPPED_NAMES or path.name.endswith(_SKIPPED_SUFFIXES)


def _place(source: Path, destination: Path, origin: str) -> None:
    if not source.exists():
        raise BuildError(f"{source} is missing; run make zip from a complete checkout.")
    if destination.exists():
        raise BuildError(
            f"{destination.name} from {origin} has the same name as a vendored package; two modules "
            "cannot share a top-level name in the archive. Remove one of them (connectors.txt or "
            "connectors/)."
        )
    if source.is_file():
        shutil.copyfile(source, destination)
        return
    destination.mkdir()
    for child in sorted(source.iterdir()):
        if not _skipped(child):
            _place(child, destination / child.name, origin)
