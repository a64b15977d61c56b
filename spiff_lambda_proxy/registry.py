"""Connector discovery, by the spiffworkflow-proxy rules (PROTOCOL.md section 2).

A plugin is any importable top-level module named `connector_*`; its commands
are the classes defined in the modules of its `commands` subpackage, its auths
those of its `auths` subpackage. A package that fails to import is recorded and
logged, and the others keep working.

Discovery imports every connector, so an archive does it once, at build time
(`make zip` runs this same code under the target Python) and keeps what it
found in a manifest (`manifest.py`). A cold start then answers `/v1/commands`
and `/v1/auths` from the manifest, and `/v1/do/<plugin>/<command>` imports only
the module that defines that command, on first use. Without a manifest of its
own build (a checkout, `make serve`, a broken archive), discovery runs live.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import traceback
from collections.abc import Iterable, Iterator
from importlib.machinery import FileFinder, all_suffixes
from types import ModuleType
from typing import Any, NamedTuple

from .describe import ParameterSpec, parameter_specs, takes_any_keyword
from .messages import dump_json

PLUGIN_PREFIX = "connector_"

logger = logging.getLogger(__name__)


class Target(NamedTuple):
    """A command (or auth) class and what the runner needs to know about it."""

    id: str
    cls: type
    parameters: list[ParameterSpec]
    # `__init__` has **kwargs: parameters beyond the described ones are its business.
    takes_any_keyword: bool


class Entry(NamedTuple):
    """A command (or auth) as discovery lists it: where its class is, without importing it."""

    id: str
    module: str  # the module that defines the class
    name: str  # the class's name there


class Plugin(NamedTuple):
    module: str
    display_name: str
    commands: dict[str, Entry]
    auths: dict[str, Entry]


class DiscoveryFailure(NamedTuple):
    module: str
    error_type: str
    message: str

    def summary(self) -> str:
        return f"{self.module}: {self.error_type}: {self.message}"


class Registry:
    """Every discovered plugin, with the `/v1/commands` and `/v1/auths` answers prebuilt.

    Targets (the classes, described) are loaded when first asked for: live discovery has
    loaded them all already; from a manifest, only the one asked for is imported.
    """

    def __init__(
        self,
        plugins: list[Plugin],
        failures: list[DiscoveryFailure],
        commands_json: bytes,
        auths_json: bytes,
        loaded: dict[str, Target] | None = None,
        source: str = "live",
    ) -> None:
        self.plugins = plugins
        self.failures = failures
        # Built once: a warm `/v1/commands` only sends bytes.
        self.commands_json = commands_json
        self.auths_json = auths_json
        # "live" (discovered in this process) or "manifest" (listed at build time).
        self.source = source
        self._entries = {
            (kind, plugin.display_name, name): entry
            for plugin in plugins
            for kind, entries in (("command", plugin.commands), ("auth", plugin.auths))
            for name, entry in entries.items()
        }
        self._loaded: dict[str, Target] = dict(loaded or {})
        # Modules that failed to load when first asked for (from a manifest), by module name.
        self._load_failures: dict[str, DiscoveryFailure] = {}
        self._lock = threading.Lock()

    def command(self, display_name: str, name: str) -> Target | None:
        return self._target("command", display_name, name)

    def auth(self, display_name: str, name: str) -> Target | None:
        return self._target("auth", display_name, name)

    def load_failure(self, display_name: str, name: str) -> DiscoveryFailure | None:
        """Why a listed command could not be loaded here, if it could not."""
        entry = self._entries.get(("command", display_name, name))
        return self._load_failures.get(entry.module) if entry is not None else None

    @property
    def command_count(self) -> int:
        return sum(len(plugin.commands) for plugin in self.plugins)

    def load_all(self) -> None:
        """Import every listed command and auth now (SnapStart's snapshot, so restores need not)."""
        for kind, display_name, name in list(self._entries):
            self._target(kind, display_name, name)

    def manifest(self) -> dict[str, Any]:
        """What a build keeps of this discovery (manifest.py writes and reads it)."""
        return {
            # Every connector_* name importable when discovery ran: another set later (a Lambda
            # layer, a package added to the archive) means the manifest does not describe it.
            "modules": list(plugin_module_names()),
            "plugins": [
                {
                    "module": plugin.module,
                    "display_name": plugin.display_name,
                    # Lists, not objects: their order is the order of the answers.
                    "commands": [[name, e.module, e.name] for name, e in plugin.commands.items()],
                    "auths": [[name, e.module, e.name] for name, e in plugin.auths.items()],
                }
                for plugin in self.plugins
            ],
            "failures": [failure._asdict() for failure in self.failures],
        }

    @classmethod
    def from_manifest(cls, found: dict[str, Any], commands_json: bytes, auths_json: bytes) -> Registry:
        plugins = [
            Plugin(
                module=plugin["module"],
                display_name=plugin["display_name"],
                commands={
                    name: Entry(f"{plugin['display_name']}/{name}", module, class_name)
                    for name, module, class_name in plugin["commands"]
                },
                auths={
                    name: Entry(f"{plugin['display_name']}/{name}", module, class_name)
                    for name, module, class_name in plugin["auths"]
                },
            )
            for plugin in found["plugins"]
        ]
        failures = [DiscoveryFailure(**failure) for failure in found["failures"]]
        return cls(plugins, failures, commands_json, auths_json, source="manifest")

    def _target(self, kind: str, display_name: str, name: str) -> Target | None:
        entry = self._entries.get((kind, display_name, name))
        if entry is None:
            return None
        found = self._loaded.get(entry.id if kind == "command" else f"auth:{entry.id}")
        if found is not None:
            return found
        with self._lock:  # make serve answers on threads: one import, one description
            return self._load(kind, entry)

    def _load(self, kind: str, entry: Entry) -> Target | None:
        key = entry.id if kind == "command" else f"auth:{entry.id}"
        if key in self._loaded:
            return self._loaded[key]
        if entry.module in self._load_failures:
            return None
        try:
            module = importlib.import_module(entry.module)
            target = _target_of(entry.id, getattr(module, entry.name))
        except (Exception, SystemExit) as error:  # a broken connector hides only its own commands
            self._load_failures[entry.module] = _record(self.failures, entry.module, error)
            return None
        self._loaded[key] = target
        return target

    @classmethod
    def discover(cls) -> Registry:
        plugins: list[Plugin] = []
        failures: list[DiscoveryFailure] = []
        loaded: dict[str, Target] = {}
        for module_name in plugin_module_names():
            try:
                module = importlib.import_module(module_name)
            except (Exception, SystemExit) as error:  # a broken package must not stop the proxy
                _record(failures, module_name, error)
                continue
            display_name = module_name.removeprefix(PLUGIN_PREFIX)
            commands = _targets(module, "commands", display_name, failures)
            auths = _targets(module, "auths", display_name, failures)
            loaded.update({target.id: target for target, _ in commands.values()})
            loaded.update({f"auth:{target.id}": target for target, _ in auths.values()})
            plugins.append(
                Plugin(
                    module=module_name,
                    display_name=display_name,
                    commands={name: entry for name, (_, entry) in commands.items()},
                    auths={name: entry for name, (_, entry) in auths.items()},
                )
            )
        for plugin in plugins:
            logger.debug("connector %s: %d commands", plugin.display_name, len(plugin.commands))
        described = [loaded[entry.id] for p in plugins for entry in p.commands.values()]
        described_auths = [loaded[f"auth:{entry.id}"] for p in plugins for entry in p.auths.values()]
        return cls(
            plugins,
            failures,
            dump_json([_description(target) for target in described]),
            dump_json([_description(target) for target in described_auths]),
            loaded,
        )


def plugin_module_names() -> Iterator[str]:
    """The importable top-level modules named connector_*, in sys.path order; nothing is imported."""
    for name, _ in _iter_modules(sys.path, PLUGIN_PREFIX):
        yield name


# Longest first, so `x.cpython-313-x86_64-linux-gnu.so` is not taken for a `.so` module.
_SUFFIXES = sorted(all_suffixes(), key=len, reverse=True)


def _iter_modules(path: Iterable[str], prefix: str = "") -> Iterator[tuple[str, bool]]:
    """(name, is_package) of the modules in these path entries whose names start with
    `prefix`, as `pkgutil.iter_modules` lists them: each name once, from the first
    entry that has it (the one `import` would load).

    pkgutil imports `inspect` (and with it ast, dis and tokenize: milliseconds of every
    cold start) and lists every module of every directory on sys.path; this looks at
    the names that matter only. Entries that are not plain directories (zip files,
    custom importers) are left to pkgutil.
    """
    seen = set()
    for entry in path:
        for name, is_package in _entry_modules(entry, prefix):
            if name not in seen:
                seen.add(name)
                yield name, is_package


def _entry_modules(entry: str, prefix: str) -> Iterator[tuple[str, bool]]:
    finder = sys.path_importer_cache.get(entry)
    if isinstance(finder, FileFinder) or (finder is None and entry and os.path.isdir(entry)):
        yield from _directory_modules(finder.path if finder is not None else entry, prefix)
    elif finder is not None or entry not in sys.path_importer_cache:
        import pkgutil

        for info in pkgutil.iter_modules([entry]):
            if info.name.startswith(prefix):
                yield info.name, info.ispkg


def _directory_modules(directory: str, prefix: str) -> Iterator[tuple[str, bool]]:
    # pkgutil's rules: files with a module suffix, and directories without a dot in the
    # name that hold an __init__ module (namespace packages are not listed).
    try:
        filenames = sorted(name for name in os.listdir(directory) if name.startswith(prefix))
    except OSError:
        return
    yielded = set()
    for filename in filenames:  # sorted: a package comes before a module of the same name
        name = _module_name(filename)
        if name == "__init__" or (name is not None and name in yielded):
            continue
        is_package = False
        if name is None:
            if "." in filename or not os.path.isdir(os.path.join(directory, filename)):
                continue
            try:
                contents = os.listdir(os.path.join(directory, filename))
            except OSError:
                contents = []
            if not any(_module_name(item) == "__init__" for item in contents):
                continue
            name, is_package = filename, True
        if name and "." not in name:
            yielded.add(name)
            yield name, is_package


def _module_name(filename: str) -> str | None:
    for suffix in _SUFFIXES:
        if filename.endswith(suffix):
            return filename[: -len(suffix)]
    return None


def _targets(
    plugin: ModuleType, subpackage: str, display_name: str, failures: list[DiscoveryFailure]
) -> dict[str, tuple[Target, Entry]]:
    targets: dict[str, tuple[Target, Entry]] = {}
    for module in _subpackage_modules(plugin, subpackage, failures):
        # inspect.getmembers order: by name, like the reference proxy.
        for name, member in sorted(vars(module).items()):
            if not isinstance(member, type) or member.__module__ != module.__name__:
                continue  # imported into the module, not defined there
            target_id = f"{display_name}/{name}"
            try:
                targets[name] = (_target_of(target_id, member), Entry(target_id, module.__name__, name))
            except Exception as error:  # e.g. a signature inspect cannot read
                _record(failures, f"{module.__name__}.{name}", error)
    return targets


def _target_of(target_id: str, cls: type) -> Target:
    return Target(target_id, cls, parameter_specs(cls), takes_any_keyword(cls))


def _subpackage_modules(
    plugin: ModuleType, subpackage: str, failures: list[DiscoveryFailure]
) -> Iterator[ModuleType]:
    path = getattr(plugin, "__path__", None)
    if path is None:
        return  # a plain module, not a package: it cannot hold commands
    if not any(name == subpackage and is_package for name, is_package in _iter_modules(path, subpackage)):
        return
    package_name = f"{plugin.__name__}.{subpackage}"
    try:
        package = importlib.import_module(package_name)
    except (Exception, SystemExit) as error:
        _record(failures, package_name, error)
        return
    for name, _ in _iter_modules(package.__path__):
        module_name = f"{package_name}.{name}"
        try:
            yield importlib.import_module(module_name)
        except (Exception, SystemExit) as error:  # one broken module hides only itself
            _record(failures, module_name, error)


def _record(failures: list[DiscoveryFailure], module_name: str, error: BaseException) -> DiscoveryFailure:
    # Forget the half-imported module so a later discovery can try again.
    sys.modules.pop(module_name, None)
    failure = DiscoveryFailure(module_name, type(error).__name__, str(error))
    failures.append(failure)
    logger.error(
        "connector package failed to load, its commands are not offered: %s\n%s",
        failure.summary(),
        "".join(traceback.format_exception(error)).rstrip(),
    )
    return failure


def _description(target: Target) -> dict[str, Any]:
    return {"id": target.id, "parameters": [spec.description() for spec in target.parameters]}


_registry: Registry | None = None


def registry() -> Registry:
    """The registry of this execution environment: from the archive's manifest when it has one of
    its own build, else discovered live, on first use."""
    global _registry
    if _registry is None:
        from . import manifest

        _registry = manifest.load() or Registry.discover()
    return _registry


def rediscover() -> Registry:
    """Discover again, live (tests, and after installing a package into a running process)."""
    global _registry
    # Not on the cold-start path: it imports importlib.metadata (~10 ms) to reset its caches.
    importlib.invalidate_caches()
    _registry = Registry.discover()
    return _registry
