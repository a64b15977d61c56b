"""Wheels from what connectors.txt lists, from URL dependencies, from sdists, and our SDK.

`pip install --only-binary=:all:` (needed for a foreign platform) builds
nothing, so everything that needs building is built here first, with
`pip wheel`: it must be pure Python, since a wheel built on this machine is
for this machine. Each failure says which package, why, and what to do.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import BuildError
from .pip import (
    INDEX_OFFLINE,
    PipFailed,
    index_options,
    index_versions,
    is_network_failure,
    missing_distributions,
    network_headline,
    run_pip,
    unreachable_host,
    with_output,
)
from .plan import SDK_KEY
from .requirements import Entry, Requirement, canonical_name, parse_requirement, url_host
from .substitutions import Substitution
from .target import Runtime
from .wheels import Wheel, build_wheel, read_wheel, write_stand_in

SDK_FOLDER = "sdk"


class Fetcher:
    def __init__(
        self, project: Path, pip_python: str, runtime: Runtime, work: Path, options: list[str]
    ) -> None:
        self.project = project
        self.pip_python = pip_python
        self.runtime = runtime
        self.work = work
        # connectors.txt's index options (--find-links, --index-url, ...), for every pip call.
        self.index_options = index_options(options)
        self.sdist_wheels = work / "sdist-wheels"

    def entry_wheels(self, entries: list[Entry]) -> list[Wheel]:
        """The wheels of connectors.txt's folder, VCS, URL and wheel-file entries."""
        wheels = []
        for entry in entries:
            if entry.kind == "build":
                wheels.append(self._build(entry.target, f"{entry.line} (connectors.txt)", entry.line))
            elif entry.kind == "wheel" and not entry.target.startswith(("http:", "https:")):
                if not Path(entry.target).is_file():
                    raise BuildError(
                        f"connectors.txt lists the wheel {entry.line}, which does not exist (paths are "
                        "relative to the project root): correct the path."
                    )
                wheels.append(read_wheel(Path(entry.target)))
        return wheels

    def index_wheels(self, entries: list[Entry]) -> dict[str, Wheel]:
        """The wheels pip would take for connectors.txt's names, by line: what they declare and
        import is read before resolving, as for folders (a connector on an index cannot declare
        the SDK, which is on GitHub only, so it imports it undeclared). A name pip finds no wheel
        for is left to the install, which explains it."""
        folder = self.work / "index-wheels"
        found = {}
        for entry in entries:
            requirement = parse_requirement(entry.target) if entry.kind == "name" else None
            if requirement is None:
                continue
            command = ["download", "--no-deps", "--dest", str(folder), *self.runtime.pip_options()]
            try:
                run_pip(self.pip_python, [*command, *self.index_options, entry.target], cwd=self.project)
            except PipFailed:
                continue
            for path in sorted(folder.glob("*.whl")):
                if canonical_name(path.name.split("-")[0]) == requirement.key:
                    found[entry.line] = read_wheel(path)
        return found

    def url_dependency(self, requirement: Requirement, requirer: str) -> Wheel:
        """A dependency given by URL that no connectors.txt entry meets: fetched and built."""
        spec = f"{requirement.name} @ {requirement.url}"
        return self._build(spec, f"{requirer}'s dependency {requirement}", "")

    def our_sdk(self) -> Wheel:
        return self._build(str(self.project / SDK_FOLDER), "this project's connector SDK (sdk/)", "")

    def _build(self, spec: str, what: str, entry_line: str) -> Wheel:
        if spec.startswith("/") and not Path(spec).exists():
            raise BuildError(
                f"connectors.txt lists {entry_line or spec}, but there is no such folder (paths are relative "
                "to the project root): correct the path."
            )
        try:
            path = build_wheel(spec, self.pip_python, self.work / "connector-wheels", cwd=self.project)
        except PipFailed as failed:
            raise BuildError(self._build_failure(failed.output, spec, what, entry_line)) from None
        wheel = read_wheel(path)
        if not wheel.is_pure:
            raise BuildError(
                f"{what} builds a platform-specific wheel ({path.name}) on this machine, which would not "
                "load on Lambda. Publish manylinux wheels for it and list it by name, or keep it pure Python."
            )
        return wheel

    def _build_failure(self, output: str, spec: str, what: str, entry_line: str) -> str:
        host = url_host(spec) or unreachable_host(output)
        requirement = parse_requirement(spec) if " @ " in spec else None
        name = requirement.name if requirement else "it"
        if is_network_failure(output) or "unable to access" in output:
            if entry_line:
                offline = (
                    f"To build without {host}, get a copy where {host} can be reached (git clone, with "
                    "the same tag or commit) and list that local folder in connectors.txt instead of the URL."
                )
                if "spiffworkflow-connector-command" in spec:
                    offline += " Or remove the line: the build then ships its own SDK (sdk/)."
            else:
                offline = (
                    f"List a local copy of {name} in connectors.txt (its folder or a wheel): it then "
                    f"meets that dependency by name, and {host} is not needed."
                )
            return with_output(network_headline(output, f"fetch {what}", offline, host), output)
        if "Cannot find command 'git'" in output:
            return f"{what} is a git URL, and git is not installed here: install git, or list a local copy."
        return with_output(f"pip could not build a wheel from {what} ({spec}).", output)

    def from_sdist(self, spec: str, asked_by: str) -> Wheel:
        """A dependency with no wheel for the target: its sdist built here, when that is pure Python."""
        requirement = parse_requirement(spec)
        name = requirement.name if requirement else spec
        options = ["--no-binary", name, *self.index_options]
        try:
            path = build_wheel(spec, self.pip_python, self.sdist_wheels, cwd=self.project, options=options)
        except PipFailed as failed:
            if is_network_failure(failed.output):
                headline = network_headline(failed.output, f"download {spec}", INDEX_OFFLINE)
                raise BuildError(with_output(headline, failed.output)) from None
            if missing_distributions(failed.output):
                raise BuildError(self.not_available(spec, asked_by)) from None
            headline = (
                f"{spec} ({asked_by}) publishes no wheel for {self.runtime.describe()}, and building one "
                "from its source distribution here failed. Build a manylinux wheel of it for the target "
                "and list the .whl file in connectors.txt."
            )
            raise BuildError(with_output(headline, failed.output)) from None
        wheel = read_wheel(path)
        if not wheel.is_pure:
            path.unlink()
            runtime = self.runtime
            raise BuildError(
                f"{name} {wheel.version} ({asked_by}) publishes no wheel for {runtime.describe()}, only "
                f"source code, and that builds into a compiled wheel here ({path.name}) that would not "
                f"load on Lambda. Build a manylinux wheel of it for the target (Python "
                f"{runtime.python_version}, {runtime.machine}) and list that .whl file in connectors.txt, "
                f"or choose a version of {name} that publishes manylinux wheels."
            )
        return wheel

    def stand_in(self, spec: str, substitution: Substitution) -> Wheel:
        """For a requirement on a substituted distribution from a dependency (connectors' own are
        rewritten): a stand-in of that name requiring the replacement, at a version with a wheel."""
        requirement = parse_requirement(spec)
        specifier = requirement.specifier if requirement else ""
        wanted = f"{substitution.replacement}{specifier}"
        folder = self.work / "replacements"
        try:
            output = run_pip(
                self.pip_python,
                ["download", "--no-deps", "--dest", str(folder), *self.runtime.pip_options(), wanted],
                cwd=self.project,
            )
        except PipFailed as failed:
            headline = (
                f"{spec} is replaced by {wanted} on Lambda ({substitution.reason}), and pip found none."
            )
            raise BuildError(with_output(headline, failed.output)) from None
        downloaded = re.findall(r"(?:Saved|File was already downloaded) (\S+\.whl)", output)
        version = Path(downloaded[-1]).name.split("-")[1] if downloaded else ""
        if not version:
            raise BuildError(with_output(f"pip downloaded no wheel for {wanted}.", output))
        name = requirement.name if requirement else spec
        path = write_stand_in(self.sdist_wheels, name, version, f"{substitution.replacement}=={version}")
        return read_wheel(path)

    def not_available(self, spec: str, asked_by: str) -> str:
        """Why pip found nothing for `spec`, saying whether the index knows the name at all."""
        requirement = parse_requirement(spec)
        name = requirement.name if requirement else spec
        versions = index_versions(self.pip_python, name, self.index_options, cwd=self.project)
        if requirement is not None and requirement.key == SDK_KEY:
            return (
                f"{spec} ({asked_by}) is not on the package index: the connector SDK is published only on "
                "GitHub. Remove that line: the build then ships its own SDK (sdk/) to every connector that "
                "needs it. Or list a local copy of yours (its folder or a wheel)."
            )
        if not versions:
            return (
                f"{name} ({asked_by}) is not on the package index (PyPI, or the index pip is configured "
                f"with). Most published SpiffArena connectors are not on PyPI: list its folder "
                f"(./vendor/{name}) or its git URL with a tag ({name} @ git+https://github.com/<owner>/"
                f"{name}@<tag>) in connectors.txt instead."
            )
        shown = ", ".join(versions[:8]) + (", ..." if len(versions) > 8 else "")
        return (
            f"{spec} ({asked_by}): the package index has {name} (versions {shown}), but no release matching "
            f"{requirement.specifier if requirement and requirement.specifier else 'it'} with a wheel for "
            f"{self.runtime.describe()} or source code to build one. Pin a version that publishes manylinux "
            "or pure-Python wheels, or choose another PYTHON_VERSION/ARCH."
        )
