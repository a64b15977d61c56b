"""Runtime dependencies and connectors.txt packages, vendored for the target runtime by pip.

One `pip install --target` resolves everything together (so shared dependencies
agree and nothing overwrites anything), with only manylinux or pure-Python
wheels for the target's Python and CPU, whatever machine runs the build.
Before it, connectors.txt is prepared (plan.py: the SDK, URL dependencies,
substitutions); when pip finds no wheel for a dependency, its sdist is built
into one if that is pure Python, and pip runs again.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from . import BuildError
from .fetch import Fetcher
from .installed import Distribution, from_local_files, installed_distributions, leave_out, tidy
from .pip import (
    INDEX_OFFLINE,
    PipFailed,
    explain_pip_failure,
    is_network_failure,
    missing_distributions,
    network_headline,
    required_by,
    run_pip,
    with_output,
)
from .plan import SDK_KEY, Plan, make_plan
from .requirements import (
    canonical_name,
    logical_lines,
    parse_requirement,
    pinned_names,
    read_entries,
    requirement_names,
)
from .substitutions import SUBSTITUTIONS
from .target import Runtime
from .wheels import Wheel

RUNTIME_REQUIREMENTS = "requirements.txt"
AWS_REQUIREMENTS = "requirements-aws.txt"
# Installed as dependencies, then left out of the archive (each with its reason there).
EXCLUDED_DISTRIBUTIONS = "zip-exclude.txt"
# pip runs again after each sdist it had to have built; a dependency tree needs few.
_MAX_ROUNDS = 12
_DOING = "download the Linux wheels for the target runtime"

__all__ = ["Distribution", "Vendored", "logical_lines", "pinned_names", "vendor"]


@dataclass(frozen=True)
class Vendored:
    distributions: list[Distribution]
    # The requirement files pip was given (connectors.txt as prepared: local entries as wheels).
    requirement_files: list[Path]
    # Installed by pip, then removed because zip-exclude.txt lists them.
    left_out: list[Distribution] = field(default_factory=list)
    plan: Plan = field(default_factory=Plan)
    # Dependencies built here from their sdists (pure Python).
    from_sdist: list[Wheel] = field(default_factory=list)
    # Canonical names installed from a file or URL rather than from the index.
    local: frozenset[str] = frozenset()

    def unpinned(self) -> list[str]:
        """name==version of what came from the index unpinned: a later build may pick other versions."""
        pinned = pinned_names(self.requirement_files) | self.local
        return [f"{d.name}=={d.version}" for d in self.distributions if d.key not in pinned]

    def version_of(self, name: str) -> str:
        key = canonical_name(name)
        return next((f"{d.name} {d.version}" for d in self.distributions if d.key == key), name)


def vendor(
    project: Path,
    root: Path,
    runtime: Runtime,
    *,
    pip_python: str,
    connectors_file: Path | None,
    bundle_boto3: bool,
    work: Path,
    connectors_dir: Path | None = None,
) -> Vendored:
    """Install every runtime dependency for `runtime` into `root` (which must not exist yet)."""
    requirement_files = [project / RUNTIME_REQUIREMENTS]
    if bundle_boto3:
        requirement_files.append(project / AWS_REQUIREMENTS)
    entries = read_entries(connectors_file, project) if connectors_file and connectors_file.exists() else []
    options = [entry.target for entry in entries if entry.kind == "option"]
    fetcher = Fetcher(project, pip_python, runtime, work, options)
    folders = sorted(p for p in connectors_dir.glob("connector_*") if p.is_dir()) if connectors_dir else []
    plan = make_plan(
        entries,
        fetcher.entry_wheels(entries),
        folders,
        fetch_url=fetcher.url_dependency,
        our_sdk=fetcher.our_sdk,
        rewritten=work / "rewritten-wheels",
        index_wheels=fetcher.index_wheels(entries),
    )
    prepared = work / "connectors-prepared.txt"
    requirement_files.append(prepared)
    from_sdist = _install(root, runtime, pip_python, project, plan, prepared, requirement_files, fetcher)
    local = frozenset(from_local_files(root))
    tidy(root)
    wanted = requirement_names([connectors_file]) if connectors_file is not None else set()
    unwanted = requirement_names([project / EXCLUDED_DISTRIBUTIONS]) - wanted
    left_out = leave_out(root, unwanted)
    leave_out(root, plan.stand_ins)  # empty; what they required is installed
    built = [wheel for wheel in from_sdist if canonical_name(wheel.name) not in plan.stand_ins]
    return Vendored(installed_distributions(root), requirement_files, left_out, plan, built, local)


def _install(
    root: Path,
    runtime: Runtime,
    pip_python: str,
    project: Path,
    plan: Plan,
    prepared: Path,
    requirement_files: list[Path],
    fetcher: Fetcher,
) -> list[Wheel]:
    """pip install, again after each missing dependency it can supply; the sdists it built."""
    built: list[Wheel] = []
    supplied: set[str] = set()
    for _ in range(_MAX_ROUNDS):
        prepared.write_text("".join(f"{line}\n" for line in plan.lines))
        args = _install_args(root, runtime)
        if built:
            args += ["--find-links", str(fetcher.sdist_wheels)]
        for requirements in requirement_files:
            args += ["--requirement", str(requirements)]
        shutil.rmtree(root, ignore_errors=True)
        try:
            run_pip(pip_python, args, cwd=project)
            return built
        except PipFailed as failed:
            output = failed.output
        if is_network_failure(output):
            raise BuildError(with_output(network_headline(output, _DOING, INDEX_OFFLINE), output))
        missing = missing_distributions(output)
        if not missing:
            raise BuildError(explain_pip_failure(output, _DOING, pip_python))
        spec = missing[0]
        requirement = parse_requirement(spec)
        if spec in supplied:  # what was built for it does not fit: pip's words say why
            raise BuildError(explain_pip_failure(output, _DOING, pip_python))
        supplied.add(spec)
        if requirement is not None and requirement.key == SDK_KEY and not plan.sdk:
            # Needed by a dependency, not by a connector of connectors.txt: ours meets it too.
            plan.sdk = "ours"
            plan.sdk_wanted_by.append(f"{required_by(output, spec) or 'a dependency'} requires it")
            sdk = fetcher.our_sdk()
            plan.wheels.append(sdk)
            plan.lines.append(str(sdk.path))
            continue
        asked_by = _asked_by(output, spec, requirement.key if requirement else "", requirement_files)
        if requirement is not None and requirement.key in SUBSTITUTIONS:
            # A dependency's own requirement (connectors' are rewritten): met through a stand-in.
            built.append(fetcher.stand_in(spec, SUBSTITUTIONS[requirement.key]))
            plan.substituted.setdefault(requirement.key, []).append(f"{spec} {asked_by}")
            plan.stand_ins.add(requirement.key)
            continue
        built.append(fetcher.from_sdist(spec, asked_by))
    raise BuildError(
        with_output(f"pip still missed wheels after {len(built)} sdists built; stopping.", output)
    )


def _install_args(root: Path, runtime: Runtime) -> list[str]:
    # Bytecode comes later, from the target Python and reproducible.
    return [
        "install",
        "--target",
        str(root),
        *runtime.pip_options(),
        "--no-compile",
        "--no-warn-script-location",
    ]


def _asked_by(output: str, spec: str, key: str, requirement_files: list[Path]) -> str:
    requirer = required_by(output, spec)
    if requirer:
        return f"required by {requirer}"
    for path in requirement_files:
        if key in requirement_names([path]):
            return f"listed in {'connectors.txt' if path.name.startswith('connectors') else path.name}"
    return "required by a dependency"
