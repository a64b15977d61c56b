"""The archive's record of its own discovery, made by `make zip`, so a cold start imports no connector.

`make zip` runs live discovery (`registry.Registry.discover`, the one implementation of
PROTOCOL.md sections 2 and 3) under the target Python on the staged archive, and writes
what it found beside this module:

- `_manifest/commands.json` and `_manifest/auths.json`: the `/v1/commands` and `/v1/auths`
  answers, byte for byte, sent as they are;
- `_manifest/index.json`: per plugin, which module defines each command and auth, and the
  failures `/v1/diagnostics` shows;
- `_build.py`: `BUILD_ID`, a digest of the archive's files, also written into the index.

A checkout has no `_build.py`: discovery runs live, as `make serve` wants (its code changes
under reload). An archive whose index is missing, unreadable, of another build (say, a
manifest copied over from an older archive) or of other connector packages than sys.path
holds now (a Lambda layer adds some; listing them imports nothing) falls back to live
discovery with a WARNING.
"""

from __future__ import annotations

import json
import logging
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from .registry import Registry

FORMAT = 1
_HERE = os.path.dirname(os.path.abspath(__file__))
DIRECTORY = "_manifest"
BUILD_MODULE = "_build.py"

logger = logging.getLogger(__name__)


def load() -> Registry | None:
    """The registry the archive's manifest describes; None (live discovery) when there is none of
    this build."""
    try:
        from . import _build  # type: ignore[attr-defined]  # written by make zip, absent in a checkout
    except ImportError:
        return None
    from .registry import Registry, plugin_module_names

    no_manifest = getattr(_build, "NO_MANIFEST", None)
    if no_manifest:
        logger.warning(
            "this archive has no connector manifest (%s), so every connector is imported to discover "
            "its commands: cold starts are slower",
            no_manifest,
        )
        return None
    folder = os.path.join(_HERE, DIRECTORY)
    try:
        with open(os.path.join(folder, "index.json"), "rb") as index_file:
            index = json.loads(index_file.read())
        if not isinstance(index, dict) or index.get("format") != FORMAT:
            raise ValueError(f"not a manifest of format {FORMAT}")
        if index.get("build_id") != _build.BUILD_ID:
            raise ValueError(f"it was made by build {index.get('build_id')}, this code by {_build.BUILD_ID}")
        here = list(plugin_module_names())
        if here != index.get("modules"):
            added = sorted(set(here) - set(index.get("modules") or ()))
            raise ValueError(
                "the connector packages importable here are not those it lists"
                + (f" ({', '.join(added)} too: a Lambda layer?)" if added else "")
            )
        with open(os.path.join(folder, "commands.json"), "rb") as commands:
            commands_json = commands.read()
        with open(os.path.join(folder, "auths.json"), "rb") as auths:
            auths_json = auths.read()
        return Registry.from_manifest(index, commands_json, auths_json)
    except (OSError, ValueError, KeyError, TypeError) as error:
        logger.warning(
            "the archive's connector manifest cannot be used (%s: %s), so every connector is imported "
            "to discover its commands: cold starts are slower. Build the archive again with make zip.",
            type(error).__name__,
            error,
        )
        return None


def write(root: Path, index: dict[str, Any], commands_json: bytes, auths_json: bytes, build_id: str) -> None:
    """Write into the staged archive `root` what `Registry.manifest()` and the prebuilt answers of a
    discovery there gave, and the build id beside it (make zip; Python 3.9 runs this too)."""
    folder = root / "spiff_lambda_proxy" / DIRECTORY
    folder.mkdir(exist_ok=True)
    (folder / "index.json").write_text(
        json.dumps({"format": FORMAT, "build_id": build_id, **index}, indent=1) + "\n"
    )
    (folder / "commands.json").write_bytes(commands_json)
    (folder / "auths.json").write_bytes(auths_json)
    write_build(root, build_id)


def write_build(root: Path, build_id: str, no_manifest: str | None = None) -> None:
    """`_build.py`: the build id and, when the build made no manifest, why."""
    lines = [
        '"""Written by make zip: which build this archive is (spiff_lambda_proxy/manifest.py)."""',
        "",
        f"BUILD_ID = {build_id!r}",
    ]
    if no_manifest is not None:
        lines.append(f"NO_MANIFEST = {no_manifest!r}")
    (root / "spiff_lambda_proxy" / BUILD_MODULE).write_text("\n".join(lines) + "\n")
