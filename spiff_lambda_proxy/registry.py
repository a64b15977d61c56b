"""Connector discovery, by the spiffworkflow-proxy rules (PROTOCOL.md section 2).

A plugin is any importable top-level module named `connector_*`; its commands
are the classes defined in the modules of its `commands` subpackage, its auths
those of its `auths` subpackage. Discovery runs once per cold start; a package
that fails to import is recorded and logged, and the others keep working.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
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


class Plugin(NamedTuple):
    module: str
    display_name: str
    commands: dict[str, Target]
    auths: dict[str, Target]


class DiscoveryFailure(NamedTuple):
    module: str
    error_type: str
    message: str

    def summary(self) -> str:
        return f"{self.module}: {self.error_type}: {self.message}"


class Registry:
    """Every discovered plugin, with the `/v1/commands` and `/v1/auths` answers prebuilt."""

    def __init__(self, plugins: list[Plugin], failures: list[DiscoveryFailure]) -> None:
        self.plugins = plugins
        self.failures = failures
        self._commands = {
            (plugin.display_name, name): target
            for plugin in plugins
            for name, target in plugin.commands.items()
        }
        # Built once: a warm `/v1/commands` only sends bytes.
        self.commands_json = dump_json([_description(t) for p in plugins for t in p.commands.values()])
        self.auths_json = dump_json([_description(t) for p in plugins for t in p.auths.values()])

    def command(self, display_name: str, name: str) -> Target | None:
        return self._commands.get((display_name, name))

    @property
    def command_count(self) -> int:
        return len(self._commands)

    @classmethod
    def discover(cls) -> Registry:
        plugins: list[Plugin] = []
        failures: list[DiscoveryFailure] = []
        for module_name in _plugin_module_names():
            try:
                module = importlib.import_module(module_name)
            except (Exception, SystemExit) as error:  # a broken package must not stop the proxy
                _record(failures, module_name, error)
                continue
            display_name = module_name.removeprefix(PLUGIN_PREFIX)
            plugins.append(
                Plugin(
                    module=module_name,
                    display_name=display_name,
                    commands=_targets(module, "commands", display_name, failures),
                    auths=_targets(module, "auths", display_name, failures),
                )
            )
        for plugin in plugins:
            logger.debug("connector %s: %d commands", plugin.display_name, len(plugin.commands))
        return cls(plugins, failures)


def _plugin_module_names() -> Iterator[str]:
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
) -> dict[str, Target]:
    targets: dict[str, Target] = {}
    for module in _subpackage_modules(plugin, subpackage, failures):
        # inspect.getmembers order: by name, like the reference proxy.
        for name, member in sorted(vars(module).items()):
            if not isinstance(member, type) or member.__module__ != module.__name__:
                continue  # imported into the module, not defined there
            target_id = f"{display_name}/{name}"
            try:
                targets[name] = Target(target_id, member, parameter_specs(member), takes_any_keyword(member))
            except Exception as error:  # e.g. a signature inspect cannot read
                _record(failures, f"{module.__name__}.{name}", error)
    return targets


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


def _record(failures: list[DiscoveryFailure], module_name: str, error: BaseException) -> None:
    # Forget the half-imported module so a later discovery can try again.
    sys.modules.pop(module_name, None)
    failure = DiscoveryFailure(module_name, type(error).__name__, str(error))
    failures.append(failure)
    logger.error(
        "connector package failed to load, its commands are not offered: %s\n%s",
        failure.summary(),
        "".join(traceback.format_exception(error)).rstrip(),
    )


def _description(target: Target) -> dict[str, Any]:
    return {"id": target.id, "parameters": [spec.description() for spec in target.parameters]}


_registry: Registry | None = None


def registry() -> Registry:
    """The registry of this execution environment, discovered on first use."""
    global _registry
    if _registry is None:
        _registry = Registry.discover()
    return _registry


def rediscover() -> Registry:
    """Discover again (tests, and after installing a package into a running process)."""
    global _registry
    # Not on the cold-start path: it imports importlib.metadata (~10 ms) to reset its caches.
    importlib.invalidate_caches()
    _registry = Registry.discover()
    return _registry
