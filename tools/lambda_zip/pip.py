"""Running pip, and saying in one headline what went wrong when it fails.

Every failure names the package, why, and the one thing to do; a network
failure names the host that could not be reached and how to do without it.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

# What pip (urllib3) and git print when they cannot talk to a host at all.
_NETWORK_SYMPTOMS = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "nodename nor servname",
    "Network is unreachable",
    "Connection refused",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ProxyError",
    "SSLError",
    "Max retries exceeded",
    "Could not resolve host",
    "Failed to connect to",
    "Connection timed out",
    "Could not resolve proxy",
)
_HOST_PATTERNS = (
    r"Could not resolve host: ([^\s'\"]+)",
    r"Failed to connect to ([^\s'\"]+) port",
    r"host='([^']+)'",
    r"unable to access '\w[\w+.-]*://(?:[^@/']*@)?([^/:']+)",
    # pip names the index it tried first; the retries that failed do not name the host.
    r"Looking in indexes: \w+://(?:[^@/\s]*@)?([^/:\s,]+)",
)


class PipFailed(Exception):
    """pip exited with an error; `output` is what it printed."""

    def __init__(self, output: str) -> None:
        super().__init__(output)
        self.output = output


def run_pip(pip_python: str, args: list[str], *, cwd: Path) -> str:
    """Run `pip_python -m pip args`; its output, or PipFailed."""
    env = dict(os.environ)
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_ROOT_USER_ACTION="ignore", PIP_NO_INPUT="1")
    # git must never wait for a password on a terminal nobody watches.
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    command = [pip_python, "-m", "pip", *args]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise PipFailed(output)
    return output


def is_network_failure(output: str) -> bool:
    return any(symptom in output for symptom in _NETWORK_SYMPTOMS)


def unreachable_host(output: str) -> str | None:
    """The host pip or git could not reach, as they named it."""
    for pattern in _HOST_PATTERNS:
        match = re.search(pattern, output)
        if match:
            return match.group(1)
    return None


def missing_distributions(output: str) -> list[str]:
    """The requirements pip found no release for (`name>=1,<2`), in the order it said so."""
    return list(dict.fromkeys(re.findall(r"No matching distribution found for (\S+)", output)))


def required_by(output: str, requirement: str) -> str | None:
    """Which package asked for `requirement`, when pip says (`... (from connector-x)`)."""
    pattern = rf"satisfies the requirement {re.escape(requirement)} \(from (?!versions:)([^)\s]+)"
    match = re.search(pattern, output)
    return match.group(1) if match else None


def tail(output: str, lines: int = 25) -> str:
    return "\n".join("    " + line for line in output.strip().splitlines()[-lines:])


def with_output(headline: str, output: str) -> str:
    """The headline, then the end of what pip said (for the details)."""
    return f"{headline}\n  pip said:\n{tail(output)}"


def network_headline(output: str, doing: str, offline: str, fallback_host: str | None = None) -> str:
    host = fallback_host or unreachable_host(output) or "the package index"
    return f"could not reach {host} to {doing}. {offline}"


INDEX_OFFLINE = (
    "make zip downloads the Linux wheels for the Lambda runtime from PyPI (or the index your pip "
    "configuration names: PIP_INDEX_URL, pip.conf); check the network, proxy (HTTPS_PROXY) and index "
    "settings, or build offline from a local copy: a folder of the wheels, named by `--find-links "
    "<folder>` in connectors.txt or PIP_FIND_LINKS, with PIP_NO_INDEX=1."
)


def explain_pip_failure(output: str, doing: str, pip_python: str) -> str:
    """A headline for a pip failure that has no more specific explanation, then pip's own words."""
    if "No module named pip" in output:
        headline = (
            f"{pip_python} has no pip. Install it (Debian/Ubuntu: apt-get install python3-pip; "
            f"or {pip_python} -m ensurepip --upgrade) and run make zip again."
        )
    elif is_network_failure(output):
        headline = network_headline(output, doing, INDEX_OFFLINE)
    elif "ResolutionImpossible" in output or "conflicting dependencies" in output:
        causes = re.findall(r"^\s+(The user requested .*|\S+ \S+ depends on .*)$", output, re.M)
        headline = (
            "pip found requirements that cannot all be met"
            + (f": {'; '.join(dict.fromkeys(c.strip() for c in causes))}" if causes else "")
            + ". Change the pin in connectors.txt to one the others accept (requirements.txt pins the "
            "proxy's own dependencies)."
        )
    elif missing_distributions(output):
        which = ", ".join(missing_distributions(output))
        headline = (
            f"pip found no wheel for {which} that runs on the target Lambda runtime. Only manylinux or "
            "pure-Python wheels for that Python version and CPU can go into the archive: pick a "
            "version that publishes them, or another PYTHON_VERSION/ARCH."
        )
    else:
        headline = f"pip failed to {doing}."
    return with_output(headline, output)


def index_versions(pip_python: str, name: str, index_options: list[str], *, cwd: Path) -> list[str] | None:
    """The versions of `name` on the package index (for any platform), newest first; None when
    the index does not know the name, or could not be asked."""
    try:
        output = run_pip(pip_python, ["index", "versions", name, *index_options], cwd=cwd)
    except PipFailed:
        return None
    match = re.search(r"Available versions: (.*)", output)
    return [version.strip() for version in match.group(1).split(",")] if match else None


def index_options(option_lines: list[str]) -> list[str]:
    """The arguments of connectors.txt's index options (--index-url, --find-links, ...), for
    pip commands that take no requirements file."""
    arguments = []
    for line in option_lines:
        option, _, value = line.partition(" ")
        if option in ("-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host"):
            arguments += [option, value.strip()]
        elif option in ("--no-index", "--pre"):
            arguments.append(option)
    return arguments
