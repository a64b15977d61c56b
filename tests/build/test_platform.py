"""`make zip` puts nothing for another platform in the archive, for x86_64 and arm64 alike."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from support.archive import ARM, TARGET, Built, build

from tools.lambda_zip import BuildError
from tools.lambda_zip.platform_check import elf_machine, foreign_files, tag_problem
from tools.lambda_zip.target import Runtime

pytestmark = pytest.mark.slow


def compiled_connectors_txt(workdir: Path) -> Path:
    """A connectors.txt asking for a package with compiled modules. zip-exclude.txt lists it,
    but a connector asking for it by name keeps it in the archive."""
    connectors_txt = workdir / "connectors.txt"
    connectors_txt.write_text("charset-normalizer==3.5.3\n")
    return connectors_txt


def test_left_out_distributions_are_said_and_kept_when_a_connector_asks(built: Built, tmp_path: Path) -> None:
    assert built.summary("left out") == "charset-normalizer 3.5.3 (see zip-exclude.txt)"
    asked = build(tmp_path, "--connectors-file", str(compiled_connectors_txt(tmp_path)), "--precompile", "0")
    assert "left out" not in asked.stdout
    names = asked.names()
    assert "charset_normalizer/__init__.py" in names
    assert any(n.startswith("charset_normalizer-3.5.3.dist-info/") for n in names)


def test_nothing_in_the_archive_is_for_another_platform(tmp_path: Path) -> None:
    compiled = build(tmp_path, "--connectors-file", str(compiled_connectors_txt(tmp_path)))
    task_root = tmp_path / "task"
    with zipfile.ZipFile(compiled.archive) as opened:
        opened.extractall(task_root)
    assert foreign_files(task_root, TARGET, expect_bytecode=True) == []
    extensions = sorted(task_root.rglob("*.so"))
    assert extensions, "charset-normalizer ships compiled wheels: some .so files were expected"
    for extension in extensions:
        assert extension.name.endswith((TARGET.extension_suffix, ".abi3.so")), extension.name
        assert elf_machine(extension.read_bytes()[:20]) == "x86_64", extension.name


def test_arm64_archive_carries_aarch64_binaries_and_no_bytecode_when_asked(tmp_path: Path) -> None:
    connectors_txt = compiled_connectors_txt(tmp_path)
    arm = build(tmp_path, "--precompile", "0", "--connectors-file", str(connectors_txt), runtime=ARM)
    assert arm.archive.name == "spiff-connector-proxy-py3.13-arm64.zip"
    assert arm.summary("bytecode").startswith("none")
    root = tmp_path / "task"
    with zipfile.ZipFile(arm.archive) as opened:
        opened.extractall(root)
    assert not list(root.rglob("*.pyc")) and not list(root.rglob("__pycache__"))
    extensions = sorted(root.rglob("*.so"))
    assert extensions
    for extension in extensions:
        assert extension.name.endswith((ARM.extension_suffix, ".abi3.so")), extension.name
        assert elf_machine(extension.read_bytes()[:20]) == "aarch64", extension.name
    assert foreign_files(root, ARM, expect_bytecode=False) == []
    # The same tree is wrong for x86_64, and the check says so.
    assert any(
        "built for aarch64" in problem for problem in foreign_files(root, TARGET, expect_bytecode=False)
    )


def _elf(machine: int) -> bytes:
    return (
        b"\x7fELF"
        + bytes([2, 1, 1, 0])
        + bytes(8)
        + (3).to_bytes(2, "little")
        + machine.to_bytes(2, "little")
    )


def test_platform_check_names_each_foreign_file(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "pkg/good.cpython-313-x86_64-linux-gnu.so": _elf(0x3E),
        "pkg/limited.abi3.so": _elf(0xB7),
        "pkg/old.cpython-312-x86_64-linux-gnu.so": _elf(0x3E),
        "pkg/mac.so": b"\xcf\xfa\xed\xfe" + bytes(16),
        "pkg/win.pyd": b"MZ",
        "pkg/__pycache__/mod.cpython-312.pyc": b"",
        "pkg/__pycache__/mod.cpython-313.pyc": b"",
        "fine-1.0.dist-info/WHEEL": "Tag: py2-none-any\nTag: py3-none-any\n",
        "winonly-1.0.dist-info/WHEEL": "Tag: cp313-cp313-win_amd64\n",
    }
    for relative, content in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)

    problems = "\n".join(foreign_files(tmp_path, TARGET, expect_bytecode=True))

    assert "pkg/limited.abi3.so: built for aarch64, not x86_64" in problems
    assert "pkg/old.cpython-312-x86_64-linux-gnu.so: an extension module for another Python" in problems
    assert "pkg/mac.so: a shared library that is not a Linux (ELF) binary" in problems
    assert "pkg/win.pyd: a Windows binary" in problems
    assert "mod.cpython-312.pyc: bytecode not for cpython-313" in problems
    assert "winonly-1.0.dist-info: no wheel tag fits" in problems
    assert "good" not in problems and "fine-1.0" not in problems and "cpython-313.pyc" not in problems
    without_bytecode = foreign_files(tmp_path, TARGET, expect_bytecode=False)
    assert "pkg/__pycache__/mod.cpython-313.pyc: bytecode in an archive built without it" in without_bytecode


@pytest.mark.parametrize(
    ("tag", "problem"),
    [
        ("py3-none-any", None),
        ("cp313-cp313-manylinux_2_28_x86_64", None),
        ("cp313-cp313-manylinux1_x86_64", None),
        ("cp39-abi3-manylinux2014_x86_64", None),
        ("cp313-cp313-manylinux_2_35_x86_64", "needs glibc 2.35"),
        ("cp312-cp312-manylinux_2_17_x86_64", "another Python"),
        ("cp313-cp313-manylinux_2_17_aarch64", "built for aarch64"),
        ("cp313-cp313-musllinux_1_2_x86_64", "not a manylinux platform"),
        ("cp313-cp313-macosx_11_0_arm64", "not a manylinux platform"),
        ("py2-none-any", "not for CPython 3"),
    ],
)
def test_wheel_tags_judged_against_the_runtime(tag: str, problem: str | None) -> None:
    found = tag_problem(tag, TARGET)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_platform_tags_cover_every_older_manylinux() -> None:
    x86 = TARGET.platform_tags()
    assert x86[0] == "manylinux_2_34_x86_64" and x86[-1] == "manylinux1_x86_64"
    assert {"manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux2010_x86_64"} <= set(x86)
    amazon_linux_2_arm = Runtime.parse("3.11", "arm64").platform_tags()
    assert amazon_linux_2_arm[0] == "manylinux_2_26_aarch64"
    assert amazon_linux_2_arm[-1] == "manylinux2014_aarch64"


def test_unknown_runtime_or_arch_is_refused_clearly() -> None:
    with pytest.raises(BuildError, match=r"choose one of 3\.10"):
        Runtime.parse("3.8", "x86_64")
    with pytest.raises(BuildError, match="x86_64 or arm64"):
        Runtime.parse("3.13", "amd64")
