"""What `make serve` prints when it starts: where it listens, what it serves, what is set, what to try."""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from spiff_lambda_proxy.registry import Registry
from spiff_lambda_proxy.settings import SETTINGS, env_list

_SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL", re.IGNORECASE)
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def banner(
    url: str, host: str, registry: Registry, timeout: float, reload: bool, typeahead: str = ""
) -> list[str]:
    port = url.rsplit(":", 1)[-1]
    reloading = "reloads when code or connectors change (RELOAD=0 turns that off)" if reload else "no reload"
    spiffarena = _spiffarena_url(host, port)
    # SpiffArena sends the key to the typeahead URL only as its password (docs/typeahead.md).
    keyed = os.environ.get("CONNECTOR_PROXY_API_KEY") or os.environ.get("CONNECTOR_PROXY_API_KEY_SECRET")
    typeahead_url = spiffarena.replace("http://", "http://spiff:<the key>@", 1) if keyed else spiffarena
    lines = [
        f"Serving the connector proxy on {url}",
        f"  {reloading}; function timeout {timeout:g} s (TIMEOUT=)",
        f"  SpiffArena: SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_URL={spiffarena}",
        f"  SpiffArena: SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_TYPEAHEAD_URL={typeahead_url}",
        "  " + commands_line(registry),
        *([f"  {typeahead}"] if typeahead else []),
        *failure_lines(registry),
        "  Settings in force: " + (", ".join(settings_in_force(registry)) or "none (the defaults)"),
        "  Background runs run in this process and call SpiffArena back from here; never through AWS.",
    ]
    if host in _LOCAL_HOSTS:
        lines.append(
            f"  Hint: SpiffArena in a container cannot reach {host}: make serve HOST=0.0.0.0, then point "
            f"it at http://host.docker.internal:{port}"
        )
    else:
        lines.append(f"  Note: listening on {host} makes the proxy reachable from other machines.")
    if "*" in env_list(os.environ.get("CONNECTOR_PROXY_CORS_ORIGINS")):
        lines.append(
            "  Note: CONNECTOR_PROXY_CORS_ORIGINS=* lets any web page you open run commands here; list the "
            "origins of your own pages instead."
        )
    if os.environ.get("SPIFFARENA_CALLBACK_API_KEY", "").strip() and not env_list(
        os.environ.get("SPIFFARENA_CALLBACK_ORIGINS")
    ):
        lines.append(
            "  Hint: background runs also need SPIFFARENA_CALLBACK_ORIGINS, the local SpiffArena's origin "
            "(e.g. http://localhost:7000), so its key is sent there only."
        )
    if not os.environ.get("HTTP_CONNECTOR_ALLOWED_HOSTS"):
        lines.append(
            "  Hint: upstreams on this machine (and a local SpiffArena's callbacks) are refused until "
            "allowed: HTTP_CONNECTOR_ALLOWED_HOSTS=localhost,127.0.0.1"
        )
    return lines


def _spiffarena_url(host: str, port: str) -> str:
    shown = "localhost" if host in (*_LOCAL_HOSTS, "0.0.0.0", "::", "") else host  # noqa: S104
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def reloaded(changed: str, registry: Registry) -> list[str]:
    return [f"Reloaded after a change to {changed}: {commands_line(registry)}", *failure_lines(registry)]


def commands_line(registry: Registry) -> str:
    counts = ", ".join(f"{plugin.display_name} {len(plugin.commands)}" for plugin in registry.plugins)
    return f"{registry.command_count} commands ({counts or 'no connectors found'})"


def failure_lines(registry: Registry) -> list[str]:
    return [
        f"  FAILED to load {failure.module}: {failure.error_type}: {_first_line(failure.message)}"
        for failure in registry.failures
    ]


def settings_in_force(registry: Registry) -> list[str]:
    """NAME=value for every documented setting the environment sets, secrets masked."""
    shown = []
    for name in _setting_names(registry):
        value = os.environ.get(name)
        if value is not None:
            shown.append(f"{name}={_masked(name, value)}")
    return shown


def _setting_names(registry: Registry) -> list[str]:
    names = [setting.name for setting in SETTINGS]
    for plugin in registry.plugins:
        try:
            module = importlib.import_module(f"{plugin.module}.settings")
        except Exception:  # noqa: S112 - a connector without readable settings lists none
            continue
        names += [str(getattr(setting, "name", "")) for setting in _iterable(getattr(module, "SETTINGS", ()))]
    return sorted({name for name in names if name})


def _iterable(value: Any) -> Iterable[Any]:
    return value if isinstance(value, (list, tuple)) else ()


def _masked(name: str, value: str) -> str:
    if _SECRET_NAME.search(name):
        return "****" if value else "(empty)"
    try:
        parts = urlsplit(value)
    except ValueError:
        return value
    if parts.password is not None or parts.query:
        # A URL's userinfo and query may carry secrets.
        netloc = parts.hostname or ""
        if parts.port:
            netloc = f"{netloc}:{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, "****" if parts.query else "", ""))
    return value


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:200]
