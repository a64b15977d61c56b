"""The Lambda runtime an archive is built for, and a local Python of the same version.

Wheels are chosen for the runtime's operating system (its glibc) and CPU, never
for the machine that builds: pip is told the platform tags explicitly.
"""

from __future__ import annotations

import glob
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import BuildError

# Lambda's Python runtimes: the Amazon Linux each one runs on and that system's glibc.
RUNTIMES: dict[str, tuple[str, tuple[int, int]]] = {
    "3.10": ("Amazon Linux 2", (2, 26)),
    "3.11": ("Amazon Linux 2", (2, 26)),
    "3.12": ("Amazon Linux 2023", (2, 34)),
    "3.13": ("Amazon Linux 2023", (2, 34)),
    "3.14": ("Amazon Linux 2023", (2, 34)),
}
# Lambda's architecture name -> the ELF/wheel machine name.
MACHINES = {"x86_64": "x86_64", "arm64": "aarch64"}
# The oldest manylinux glibc each machine has wheels for (aarch64 started with manylinux2014).
_OLDEST_GLIBC_MINOR = {"x86_64": 5, "aarch64": 17}
# PEP 600 spelling -> the older names some wheels still carry only.
_LEGACY_ALIASES = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}

ARCHIVE_PREFIX = "spiff-connector-proxy"


@dataclass(frozen=True)
class Runtime:
    python_version: str  # "3.13"
    arch: str  # Lambda's name: "x86_64" or "arm64"

    @classmethod
    def parse(cls, python_version: str, arch: str) -> Runtime:
        if python_version not in RUNTIMES:
            raise BuildError(
                f"PYTHON_VERSION={python_version} is not a Lambda Python runtime this build knows; "
                f"choose one of {', '.join(RUNTIMES)}."
            )
        if arch not in MACHINES:
            raise BuildError(f"ARCH={arch} is not a Lambda architecture; choose x86_64 or arm64.")
        return cls(python_version, arch)

    @property
    def name(self) -> str:
        """Lambda's identifier for the runtime, as in the function's configuration."""
        return f"python{self.python_version}"

    @property
    def nodot(self) -> str:
        return self.python_version.replace(".", "")

    @property
    def abi(self) -> str:
        return f"cp{self.nodot}"

    @property
    def cache_tag(self) -> str:
        return f"cpython-{self.nodot}"

    @property
    def machine(self) -> str:
        return MACHINES[self.arch]

    @property
    def operating_system(self) -> str:
        return RUNTIMES[self.python_version][0]

    @property
    def glibc(self) -> tuple[int, int]:
        return RUNTIMES[self.python_version][1]

    @property
    def extension_suffix(self) -> str:
        """The suffix CPython gives extension modules built for exactly this version and machine."""
        return f".cpython-{self.nodot}-{self.machine}-linux-gnu.so"

    @property
    def archive_name(self) -> str:
        return f"{ARCHIVE_PREFIX}-py{self.python_version}-{self.arch}.zip"

    def platform_tags(self) -> list[str]:
        """Every manylinux tag the runtime can load, best first.

        pip does not widen `--platform manylinux_2_34_x86_64` to older glibc
        versions by itself, so each one is named.
        """
        newest = self.glibc[1]
        tags = []
        for minor in range(newest, _OLDEST_GLIBC_MINOR[self.machine] - 1, -1):
            tags.append(f"manylinux_2_{minor}_{self.machine}")
            alias = _LEGACY_ALIASES.get(minor)
            if alias and (self.machine == "x86_64" or alias == "manylinux2014"):
                tags.append(f"{alias}_{self.machine}")
        return tags

    def pip_options(self) -> list[str]:
        """What pip is told so that it takes only wheels this runtime loads, whatever the machine."""
        platforms = [arg for tag in self.platform_tags() for arg in ("--platform", tag)]
        return ["--only-binary=:all:", "--implementation", "cp", "--python-version", self.python_version,
                "--abi", self.abi, *platforms]  # fmt: skip

    def describe(self) -> str:
        glibc = ".".join(map(str, self.glibc))
        return f"{self.name} on {self.operating_system} (glibc {glibc}), {self.arch}"

    def host_can_run_binaries(self) -> bool:
        """Whether compiled modules for this runtime load on the building machine."""
        return sys.platform.startswith("linux") and platform.machine().lower() in (self.arch, self.machine)


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: str  # "3.13.0"

    @property
    def feature_version(self) -> str:
        return ".".join(self.version.split(".")[:2])


# Free-threaded builds ("3.13t") load different extension modules than Lambda's runtime.
_PROBE = (
    "import sys, sysconfig; "
    "print('free-threaded' if sysconfig.get_config_var('Py_GIL_DISABLED') else sys.implementation.name, "
    "*sys.version_info[:3])"
)


def probe(executable: str) -> Interpreter | None:
    """The CPython at `executable`, or None when it does not run (e.g. an unset pyenv shim)."""
    try:
        done = subprocess.run(
            [executable, "-I", "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    words = done.stdout.split()
    if done.returncode != 0 or len(words) != 4 or words[0] != "cpython":
        return None
    return Interpreter(executable, ".".join(words[1:]))


def find_python(version: str, explicit: str | None = None) -> Interpreter | None:
    """A local CPython `version` ("3.13"), looked for where pyenv, uv and the system put one.

    `explicit` (TARGET_PYTHON) wins and must be right; otherwise None when none is found.
    """
    if explicit:
        found = probe(explicit)
        if found is None or found.feature_version != version:
            what = f"Python {found.version}" if found else "not a working CPython"
            raise BuildError(f"TARGET_PYTHON={explicit} is {what}; it must be CPython {version}.")
        return found
    for candidate in _candidates(version):
        found = probe(candidate)
        if found is not None and found.feature_version == version:
            return found
    return None


def _candidates(version: str) -> list[str]:
    exe = f"python{version}"
    candidates: list[str] = []
    if sys.version.startswith(f"{version}.") and sys.implementation.name == "cpython":
        candidates.append(sys.executable)
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates += _newest_first(glob.glob(os.path.join(pyenv_root, "versions", f"{version}.*", "bin", exe)))
    on_path = shutil.which(exe)
    if on_path:
        candidates.append(on_path)
    uv_root = os.environ.get("UV_PYTHON_INSTALL_DIR") or os.path.expanduser("~/.local/share/uv/python")
    candidates += _newest_first(glob.glob(os.path.join(uv_root, f"cpython-{version}.*", "bin", exe)))
    candidates += [f"/usr/local/bin/{exe}", f"/usr/bin/{exe}"]
    return [c for c in dict.fromkeys(candidates) if Path(c).exists()]


def _newest_first(paths: list[str]) -> list[str]:
    def patch_level(path: str) -> tuple[int, ...]:
        # .../versions/3.13.2/bin/python3.13 or .../cpython-3.13.2-linux-x86_64-gnu/bin/python3.13
        name = Path(path).parent.parent.name.removeprefix("cpython-")
        digits = name.split("-")[0].split(".")
        return tuple(int(d) if d.isdigit() else -1 for d in digits)

    return sorted(paths, key=patch_level, reverse=True)
