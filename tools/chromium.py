"""`make browser`: a headless Chromium for the test that attacks `make serve` from a real browser page.

    python -m tools.chromium install   # make browser: install it now, say what happened
    python -m tools.chromium start     # make test: the same in the background, without waiting

The test (tests/local/test_browser.py) looks for `chromium`, `chromium-browser` or `google-chrome`
on PATH. When none is there, Debian's `chromium` package is installed with apt-get (as root, or
through `sudo -n`); where that cannot be done this says why and what to run, and the test is
skipped saying the same. `start` lets `make test` go on with the linters and the other tests while
the package installs (about 20 s here); the browser test waits for it. Its progress is in
`build/chromium/`: `status` (one JSON object: `state` is `installing`, `ready` or `unavailable`, with
`reason` and `pid`) and `install.log`. Nothing here is part of the Lambda archive.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
STATE_FOLDER = PROJECT / "build" / "chromium"
STATUS_FILE = STATE_FOLDER / "status"
LOG_FILE = STATE_FOLDER / "install.log"
NAMES = ("chromium", "chromium-browser", "google-chrome")
PACKAGE = "chromium"
# Wait for another apt-get (a second make test, unattended upgrades) instead of failing at once.
_APT = ["apt-get", "-o", "DPkg::Lock::Timeout=300", "-y", "--no-install-recommends"]


def find() -> str | None:
    """The browser's path, if one is installed."""
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def read_status() -> dict[str, Any]:
    """What the last `install` or `start` said (`state`, `reason`, `pid`); empty when neither ran."""
    try:
        status: dict[str, Any] = json.loads(STATUS_FILE.read_text())
    except (OSError, ValueError):
        return {}
    return status


def install(announced: bool = False) -> int:
    """Install the browser unless there is one; write and print the outcome. 0 unless apt-get failed.

    `announced`: `start` has written the status that says this process is installing.
    """
    if not announced:
        _write("installing", f"apt-get install {PACKAGE} is running ({_shown(LOG_FILE)})")
    found = find()
    if found:
        return _done("ready", f"{found} is installed")
    command = _privileged()
    if command is None:
        return _done(
            "unavailable",
            "no Chromium, and this user cannot install one (not root, no sudo without a password, or no "
            f"apt-get): install Debian's chromium package (sudo apt-get install {PACKAGE}) or put "
            "chromium on PATH, then run make browser",
        )
    with LOG_FILE.open("ab") as log:
        failed = subprocess.run([*command, *_APT, "install", PACKAGE], stdout=log, stderr=log).returncode
        if failed:
            # Fresh images often have no package lists yet.
            subprocess.run([*command, "apt-get", "update"], stdout=log, stderr=log)
            failed = subprocess.run([*command, *_APT, "install", PACKAGE], stdout=log, stderr=log).returncode
    found = find()
    if found:
        return _done("ready", f"installed {found}")
    reason = f"apt-get install {PACKAGE} failed (exit {failed}); see {_shown(LOG_FILE)}"
    return _done("unavailable", reason, 1)


def start() -> int:
    """`install` in a process of its own, so `make test` need not wait for it here."""
    found = find()
    if found:
        _write("ready", f"{found} is installed")
        return 0
    STATE_FOLDER.mkdir(parents=True, exist_ok=True)
    with LOG_FILE.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tools.chromium", "install", "--announced"],
            cwd=PROJECT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # not stopped by the Ctrl-C meant for pytest
        )
    # Before the test can read a status of an earlier run; the installer writes only its outcome.
    _write("installing", f"apt-get install {PACKAGE} is running in the background", process.pid)
    print(f"make test: installing Chromium for the browser test in the background (log: {_shown(LOG_FILE)})")
    return 0


def _privileged() -> list[str] | None:
    """How to run apt-get as root here: [] as root, ["sudo", "-n"] with passwordless sudo, else None."""
    if shutil.which("apt-get") is None:
        return None
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        return ["sudo", "-n"]
    return None


def _done(state: str, reason: str, code: int = 0) -> int:
    _write(state, reason)
    print(f"make browser: {reason}")
    return code


def _write(state: str, reason: str, pid: int | None = None) -> None:
    STATE_FOLDER.mkdir(parents=True, exist_ok=True)
    status = {"state": state, "reason": reason, "pid": os.getpid() if pid is None else pid}
    temporary = STATUS_FILE.with_suffix(f".{os.getpid()}")
    temporary.write_text(json.dumps(status))
    temporary.replace(STATUS_FILE)  # readers never see half a file


def _shown(path: Path) -> str:
    return str(path.relative_to(PROJECT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.chromium", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("install", "start"))
    parser.add_argument("--announced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    return install(args.announced) if args.action == "install" else start()


if __name__ == "__main__":
    sys.exit(main())
