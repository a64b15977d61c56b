"""Find anything in an unpacked archive that the target Lambda runtime cannot load.

A compiled module for the wrong CPU, libc or Python version fails only when
it is imported on Lambda; this check finds it while building instead.
"""

from __future__ import annotations

import re
from pathlib import Path

from .target import Runtime

# ELF e_machine values of the CPUs wheels are commonly built for.
_ELF_MACHINES = {
    0x03: "i386",
    0x28: "arm",
    0x3E: "x86_64",
    0xB7: "aarch64",
    0x14: "ppc",
    0x15: "ppc64",
    0x16: "s390",
    0xF3: "riscv",
}
_ELF_MAGIC = b"\x7fELF"
_FOREIGN_BINARIES = {".pyd": "Windows", ".dll": "Windows", ".exe": "Windows", ".dylib": "macOS"}
_EXTENSION_SUFFIX = re.compile(r"\.cpython-[0-9a-z]+-[^.]+\.so\Z")
_LEGACY_GLIBC = {"manylinux1": 5, "manylinux2010": 12, "manylinux2014": 17}


def foreign_files(root: Path, runtime: Runtime, *, expect_bytecode: bool) -> list[str]:
    """One line per file that does not belong in an archive for `runtime`; empty when all is well."""
    problems = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root).as_posix()
        problem = _file_problem(path, relative, runtime, expect_bytecode)
        if problem:
            problems.append(f"{relative}: {problem}")
    for wheel_file in sorted(root.glob("*.dist-info/WHEEL")):
        # A wheel lists every platform it suits (py2 and py3, several glibc versions): one must fit.
        tags = _wheel_tags(wheel_file)
        reasons = [f"{tag}: {tag_problem(tag, runtime)}" for tag in tags]
        if all(tag_problem(tag, runtime) for tag in tags):
            problems.append(f"{wheel_file.parent.name}: no wheel tag fits ({'; '.join(reasons) or 'none'})")
    return problems


def _file_problem(path: Path, relative: str, runtime: Runtime, expect_bytecode: bool) -> str | None:
    name = path.name
    if path.suffix.lower() in _FOREIGN_BINARIES:
        return f"a {_FOREIGN_BINARIES[path.suffix.lower()]} binary"
    if name.endswith((".pyc", ".pyo")):
        if not expect_bytecode:
            return "bytecode in an archive built without it"
        if path.parent.name != "__pycache__" or not name.endswith(f".{runtime.cache_tag}.pyc"):
            return f"bytecode not for {runtime.cache_tag}"
        return None
    if _EXTENSION_SUFFIX.search(name) and not name.endswith(runtime.extension_suffix):
        return f"an extension module for another Python or CPU (expected *{runtime.extension_suffix})"
    with path.open("rb") as stream:
        header = stream.read(20)
    if header[:4] == _ELF_MAGIC:
        return _elf_problem(header, runtime)
    if re.search(r"\.so(\.\d+)*\Z", name):
        return "a shared library that is not a Linux (ELF) binary"
    return None


def elf_machine(header: bytes) -> str:
    """The CPU an ELF file is built for, from its first 20 bytes."""
    code = int.from_bytes(header[18:20], "little" if header[5] == 1 else "big")
    return _ELF_MACHINES.get(code, f"machine {code:#x}")


def _elf_problem(header: bytes, runtime: Runtime) -> str | None:
    if header[4] != 2:
        return "a 32-bit binary"
    machine = elf_machine(header)
    if machine != runtime.machine:
        return f"built for {machine}, not {runtime.machine}"
    return None


def _wheel_tags(wheel_file: Path) -> list[str]:
    tags = []
    for line in wheel_file.read_text(errors="replace").splitlines():
        if line.startswith("Tag:"):
            tags.append(line.split(":", 1)[1].strip())
    return tags


def tag_problem(tag: str, runtime: Runtime) -> str | None:
    """Why a wheel with this tag cannot run on `runtime`, or None when it can."""
    try:
        interpreter, abi, platform = tag.split("-")
    except ValueError:
        return "not a wheel tag"
    target_minor = int(runtime.python_version.split(".")[1])
    version = re.fullmatch(r"(py|cp)3(\d*)", interpreter)
    if version is None:
        return "not for CPython 3"
    minor = int(version.group(2)) if version.group(2) else 0
    if abi == "abi3" or interpreter.startswith("py"):
        if minor > target_minor:
            return f"needs Python 3.{minor} or newer"
    elif minor != target_minor or abi not in ("none", runtime.abi):
        return f"built for another Python than {runtime.python_version}"
    if platform == "any":
        return None
    return _platform_problem(platform, runtime)


def _platform_problem(platform: str, runtime: Runtime) -> str | None:
    match = re.fullmatch(r"(manylinux_2_(\d+)|manylinux1|manylinux2010|manylinux2014)_(\w+)", platform)
    if match is None:
        return "not a manylinux platform"
    glibc_minor = int(match.group(2)) if match.group(2) else _LEGACY_GLIBC[match.group(1)]
    if match.group(3) != runtime.machine:
        return f"built for {match.group(3)}, not {runtime.machine}"
    if glibc_minor > runtime.glibc[1]:
        return f"needs glibc 2.{glibc_minor}, {runtime.name} has 2.{runtime.glibc[1]}"
    return None
