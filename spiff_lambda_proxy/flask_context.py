"""Flask's application context, for connectors written for the Flask host.

spiffworkflow-proxy runs commands inside a Flask request, so some connectors
read their settings as `flask.current_app.config[...]` instead of from the
`config` argument. When Flask is in the archive and a command's connector
imports it, the command runs inside an application context whose
`current_app.config` answers like `config`: the same keys, the same values,
the deadline included. Nothing here imports Flask otherwise: deciding costs one
look along sys.path per process and one read of the connector's sources per
command class, on its first run.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from importlib.machinery import PathFinder
from typing import Any

# `import flask`, `from flask import current_app`, `from flask.globals import ...`
# (compiled on first use, by `re`'s cache: not at cold start).
_IMPORTS_FLASK = rb"^[ \t]*(?:import[ \t]+flask\b|from[ \t]+flask(?:\.\w+)*[ \t]+import\b)"

_flask_available: bool | None = None
# Command class -> whether it runs in an application context; decided on its first run.
_decided: dict[type, bool] = {}
# Module name -> (that module, whether its source imports flask).
_module_imports_flask: dict[str, tuple[Any, bool]] = {}


class _NoContext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        return None


_NO_CONTEXT = _NoContext()


def command_context(cls: type, config: Mapping[str, Any]) -> Any:
    """A context manager to build and execute `cls` in: Flask's application context
    for a Flask-era connector, else one that does nothing."""
    wants = _decided.get(cls)
    if wants is None:
        wants = _decided[cls] = _flask_importable() and _connector_imports_flask(cls)
    return _AppContext(config) if wants else _NO_CONTEXT


def _flask_importable() -> bool:
    global _flask_available
    if _flask_available is None:
        _flask_available = "flask" in sys.modules or PathFinder.find_spec("flask") is not None
    return _flask_available


def _connector_imports_flask(cls: type) -> bool:
    """Whether a loaded module of the class's connector package imports flask anywhere
    (at module level or inside a function): helpers may read current_app for commands."""
    package = cls.__module__.partition(".")[0]
    names = [name for name in list(sys.modules) if name == package or name.startswith(package + ".")]
    return any(_imports_flask(name) for name in sorted(names))


def _imports_flask(module_name: str) -> bool:
    module = sys.modules.get(module_name)
    known = _module_imports_flask.get(module_name)
    if known is not None and known[0] is module:
        return known[1]
    try:
        with open(module.__file__, "rb") as source:  # type: ignore[arg-type, union-attr]
            imports = re.search(_IMPORTS_FLASK, source.read(), re.M) is not None
    except (AttributeError, OSError, TypeError):  # no source (a namespace package, a built-in)
        imports = False
    _module_imports_flask[module_name] = (module, imports)
    return imports


class _AppContext:
    """The application context of one command run, with `current_app.config` answering
    like `config`."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._config = config
        self._pushed: Any = None
        self._token: Any = None

    def __enter__(self) -> None:
        app, current_config, config_class = _app()
        # A snapshot taken now: `config` reads the environment at lookup time, so the two agree.
        self._token = current_config.set(config_class(app.root_path, self._config))
        try:
            self._pushed = app.app_context()
            self._pushed.push()
        except BaseException:
            current_config.reset(self._token)
            raise

    def __exit__(self, *exc_info: object) -> None:
        self._pushed.pop()
        self._pushed = None
        self._token.var.reset(self._token)


_flask: tuple[Any, Any, Any] | None = None


def _app() -> tuple[Any, Any, Any]:
    """The process's Flask app, the context variable holding the running command's config,
    and the config class; made on the first Flask-era run (importing Flask takes ~50 ms)."""
    global _flask
    if _flask is None:
        from contextvars import ContextVar

        from flask import Flask
        from flask.config import Config

        class CommandConfig(Config):
            """`config`'s keys and values. Flask's own settings (DEBUG, SERVER_NAME, ...)
            answer their defaults when Flask asks for them by key, so its helpers work,
            but are not among the keys unless the environment sets them."""

            def __missing__(self, key: str) -> Any:
                if key in Flask.default_config:
                    return Flask.default_config[key]
                raise KeyError(key)

            def __repr__(self) -> str:
                return f"<CommandConfig of {len(self)} settings>"  # the environment holds secrets

        # Per thread and per run: `make serve` may run two commands at once.
        current_config: ContextVar[Config] = ContextVar("spiff_command_config")

        class CommandApp(Flask):
            @property  # type: ignore[override]
            def config(self) -> Config:
                return current_config.get(self._own_config)

            @config.setter
            def config(self, value: Config) -> None:
                self._own_config = value  # Flask's defaults, outside any command

        app = CommandApp(__name__, static_folder=None)
        _ = app.logger  # made now, from the defaults: later uses need no settings
        _flask = (app, current_config, CommandConfig)
    return _flask
