"""A real headless Chromium for tests, found on PATH or waited for while `make test` installs it.

`make test` starts Debian's chromium installing in the background (`tools/chromium.py start`) and
runs the linters and the other tests meanwhile; `chromium()` waits for that install (it is done long
before the browser test comes) and says why there is no browser when there is none, for the skip.
`dump_dom` opens one page the way the reproduction of issue 23 did: no driver, the page's scripts
run to their end in virtual time, the DOM printed.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from tools import chromium as installer

# The install takes about 20 s here; the browser test comes minutes after make test started it.
_WAIT_FOR_INSTALL_SECONDS = 120.0


def chromium() -> tuple[str | None, str]:
    """(the browser's path, "") or (None, why there is none and what to do)."""
    deadline = time.monotonic() + _WAIT_FOR_INSTALL_SECONDS
    status = installer.read_status()
    while installer.find() is None and _installing(status) and time.monotonic() < deadline:
        time.sleep(0.5)  # polling the status file the installer rewrites when it is done
        status = installer.read_status()
    found = installer.find()
    if found:
        return found, ""
    if _installing(status):
        why = f"its install has not finished after {_WAIT_FOR_INSTALL_SECONDS:.0f} s ({installer.LOG_FILE})"
    elif status.get("state") == "installing":
        why = f"its install stopped before it finished ({installer.LOG_FILE})"
    else:
        why = str(status.get("reason") or "none on PATH, and make browser has not run")
    return None, f"no headless Chromium: {why}. make browser installs it."


def dump_dom(browser: str, url: str, profile: Path, *, resolver_rules: str = "") -> str:
    """The page's DOM once its scripts have run (up to 10 s of virtual time)."""
    command = [
        browser,
        "--headless",
        "--no-sandbox",  # tests may run as root, where Chromium's sandbox will not start
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=10000",
    ]
    if resolver_rules:
        command.append(f"--host-resolver-rules={resolver_rules}")
    done = subprocess.run(
        [*command, "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "HOME": str(profile)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _installing(status: dict[str, object]) -> bool:
    """Whether the installer the status names is still at work."""
    pid = status.get("pid")
    if status.get("state") != "installing" or not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True
