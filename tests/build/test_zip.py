"""`make zip`: the archive is right for Lambda, reproducible, and works the way Lambda loads it.

A session fixture (conftest.py) builds the archive once (pip's cache makes
later builds quick); the smoke tests unpack it into an empty directory and
import it with the target Python in isolated mode, with only that directory on
sys.path, as Lambda does with /var/task.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import socket
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import write_tree
from support.archive import TARGET, Built, body_of, build, lambda_like, require, run_build
from support.lambda_events import make_event
from support.paths import PROJECT_ROOT
from support.sample_connectors import CONNECTOR_PIPPED_PROJECT

from tools.lambda_zip import BuildError
from tools.lambda_zip.platform_check import elf_machine, foreign_files, tag_problem
from tools.lambda_zip.summary import MB, Sizes, check_limits
from tools.lambda_zip.target import Interpreter, Runtime, find_python
from tools.lambda_zip.vendor import explain_pip_failure, logical_lines, pinned_names

pytestmark = pytest.mark.slow

PROJECT = PROJECT_ROOT
ARM = Runtime.parse("3.13", "arm64")
HAS_HTTP_CONNECTOR = (PROJECT / "connectors" / "connector_http" / "__init__.py").exists()


# --- what make zip prints -------------------------------------------------------------


def test_summary_names_runtime_sizes_and_the_sha256_aws_shows(built: Built) -> None:
    assert built.archive.name == "spiff-connector-proxy-py3.13-x86_64.zip"
    assert built.summary("runtime").startswith("python3.13 on Amazon Linux 2023 (glibc 2.34), x86_64")
    assert re.match(r"\d+\.\d MB of 50\.0 MB for direct upload", built.summary("zip size"))
    assert re.match(r"\d+\.\d MB of 250\.0 MB", built.summary("unpacked"))
    assert "requests 2.34.2" in built.summary("largest") or "urllib3" in built.summary("largest")
    digest = hashlib.sha256(built.archive.read_bytes())
    assert built.summary("sha256") == digest.hexdigest()
    assert built.summary("CodeSha256") == base64.b64encode(digest.digest()).decode()


def test_summary_lists_the_commands_of_the_projects_connectors(built: Built) -> None:
    match = re.search(r"^  commands \((\d+)\)\s+(.*)$", built.stdout, re.MULTILINE)
    assert match, built.stdout
    ids = [] if match.group(2).startswith("none") else match.group(2).split(", ")
    assert int(match.group(1)) == len(ids)
    connectors = PROJECT / "connectors"
    for package in sorted(connectors.glob("connector_*/commands")):
        display_name = package.parent.name.removeprefix("connector_")
        assert any(i.startswith(f"{display_name}/") for i in ids), f"no {display_name} commands listed"
    if HAS_HTTP_CONNECTOR:
        assert "http/GetRequestV2" in ids


# --- what is in the archive ---------------------------------------------------------------


def test_layout_is_what_lambda_imports(built: Built) -> None:
    names = set(built.names())
    assert "lambda_function.py" in names
    assert "spiff_lambda_proxy/handler.py" in names
    assert "spiff_lambda_proxy/__init__.py" in names
    for distribution in ("requests", "urllib3", "idna", "certifi", "xmltodict"):
        assert any(n.startswith(f"{distribution}-") and ".dist-info/" in n for n in names), distribution
    # Installed with requests, left out on purpose (zip-exclude.txt): nothing uses it.
    assert not any(n.startswith("charset_normalizer") for n in names)
    assert not any(n.startswith(("boto3", "botocore")) for n in names), "boto3 is in the runtime already"
    # Connector packages sit at the root, as top-level modules.
    connectors = PROJECT / "connectors"
    for entry in sorted(connectors.iterdir()) if connectors.is_dir() else []:
        if entry.is_dir() and entry.name.startswith("connector_"):
            assert f"{entry.name}/__init__.py" in names
    assert not any(n.startswith("connectors/") for n in names)


def test_no_build_or_test_leftovers(built: Built) -> None:
    for name in built.names():
        top = name.split("/")[0]
        assert top not in ("bin", "tests", "tools", "build", "dist", ".venv"), name
        assert not top.startswith("."), name
        assert not name.endswith(("direct_url.json", ".pyo")), name
        assert "conftest.py" not in name, name
        if name.endswith(".pyc"):
            assert re.search(r"(^|/)__pycache__/[^/]+\.cpython-313\.pyc$", name), name


def test_licences_of_vendored_packages_are_kept(built: Built) -> None:
    names = built.names()
    dist_infos = sorted({n.split("/")[0] for n in names if ".dist-info/" in n})
    assert dist_infos
    for dist_info in dist_infos:
        inside = [n.lower() for n in names if n.startswith(dist_info + "/")]
        assert any(("licen" in n or "copying" in n) for n in inside), dist_info


def test_record_files_list_only_what_is_shipped(built: Built) -> None:
    with zipfile.ZipFile(built.archive) as opened:
        names = set(opened.namelist())
        for record in (n for n in names if n.endswith(".dist-info/RECORD")):
            for line in opened.read(record).decode().splitlines():
                assert line.split(",")[0] in names, f"{record} lists {line}"


def test_entries_are_sorted_with_fixed_times_and_permissions(built: Built) -> None:
    with zipfile.ZipFile(built.archive) as opened:
        infos = opened.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0), info.filename
        mode = info.external_attr >> 16
        assert mode == (0o40755 if info.is_dir() else 0o100644), (info.filename, oct(mode))


def test_building_again_gives_the_same_bytes(built: Built, tmp_path: Path) -> None:
    again = build(tmp_path)
    assert again.archive.read_bytes() == built.archive.read_bytes()
    assert again.summary("CodeSha256") == built.summary("CodeSha256")


# --- bytecode -------------------------------------------------------------------------------


def test_every_module_has_target_bytecode(built: Built) -> None:
    names = set(built.names())
    sources = [n for n in names if n.endswith(".py") and ".dist-info/" not in n]
    assert sources
    for source in sources:
        folder, _, module = source.rpartition("/")
        cached = f"{folder + '/' if folder else ''}__pycache__/{module[:-3]}.cpython-313.pyc"
        assert cached in names, source


_PYC_FACTS = """
import importlib.util, json, marshal, sys, zipfile
facts = {}
with zipfile.ZipFile(sys.argv[1]) as opened:
    for name in sys.argv[2:]:
        data = opened.read(name)
        facts[name] = {"magic_ok": data[:4] == importlib.util.MAGIC_NUMBER,
                       "flags": int.from_bytes(data[4:8], "little"),
                       "filename": marshal.loads(data[16:]).co_filename}
print(json.dumps(facts))
"""


def test_bytecode_is_unchecked_hash_for_var_task(built: Built, target_python: Interpreter | None) -> None:
    python = require(target_python)
    pycs = {
        "__pycache__/lambda_function.cpython-313.pyc": "/var/task/lambda_function.py",
        "spiff_lambda_proxy/__pycache__/handler.cpython-313.pyc": "/var/task/spiff_lambda_proxy/handler.py",
        "requests/__pycache__/api.cpython-313.pyc": "/var/task/requests/api.py",
    }
    done = subprocess.run(
        [python.path, "-I", "-c", _PYC_FACTS, str(built.archive), *pycs],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    facts = json.loads(done.stdout)
    for name, source in pycs.items():
        assert facts[name]["magic_ok"], f"{name} is not bytecode of Python {python.version}"
        # Bit 0: hash-based; bit 1 (check_source) unset: trusted without reading the source.
        assert facts[name]["flags"] == 0b01, name
        assert facts[name]["filename"] == source


# --- nothing for another platform ---------------------------------------------------------


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


# --- the archive works the way Lambda loads it ----------------------------------------


def test_smoke_commands_from_the_unpacked_archive(task_root: Path, target_python: Interpreter | None) -> None:
    python = require(target_python)
    result = lambda_like(python, task_root, [make_event("function-url", "GET", "/v1/commands")])
    answer = result["answers"][0]
    assert answer["statusCode"] == 200, answer
    ids = [command["id"] for command in body_of(answer)]
    if HAS_HTTP_CONNECTOR:
        assert "http/GetRequestV2" in ids
    assert result["outside"] == [], "modules were loaded from outside the task root and the stdlib"
    assert any(f.startswith(str(task_root / "spiff_lambda_proxy")) for f in result["files"])


class _Upstream(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        payload = json.dumps({"path": self.path, "accept": self.headers.get("Accept")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.mark.skipif(not HAS_HTTP_CONNECTOR, reason="connectors/connector_http is not in this checkout yet")
def test_smoke_get_request_v2_reaches_a_local_upstream(
    task_root: Path, target_python: Interpreter | None, upstream: str
) -> None:
    python = require(target_python)
    event = make_event(
        "function-url",
        "POST",
        "/v1/do/http/GetRequestV2",
        body={
            "url": f"{upstream}/things",
            "params": {"colour": "blue"},
            "headers": {"Accept": "application/json"},
            "spiff__task_data": {},
        },
        headers={"content-type": "application/json"},
    )
    result = lambda_like(python, task_root, [event])
    answer = result["answers"][0]
    assert answer["statusCode"] == 200, answer
    envelope = body_of(answer)
    assert envelope["command_response_version"] == 2
    assert envelope["error"] is None
    assert envelope["command_response"]["http_status"] == 200
    assert envelope["command_response"]["body"] == {
        "path": "/things?colour=blue",
        "accept": "application/json",
    }
    assert result["outside"] == []
    # requests came from the archive.
    assert any(f.startswith(str(task_root / "requests")) for f in result["files"])
    # Without a charset detector in the archive, and without a warning about it.
    assert not any("charset_normalizer" in f for f in result["files"])
    assert "Warning" not in result["stderr"], result["stderr"]


# --- connectors.txt, missing connectors/, no target Python ---------------------------


def test_connectors_txt_vendors_a_local_connector_package(
    tmp_path: Path, target_python: Interpreter | None
) -> None:
    python = require(target_python)
    write_tree(tmp_path / "connector-pipped", CONNECTOR_PIPPED_PROJECT)
    connectors_txt = tmp_path / "connectors.txt"
    connectors_txt.write_text(f"# a local connector package\n{tmp_path / 'connector-pipped'}\n")

    result = build(
        tmp_path,
        "--connectors-file",
        str(connectors_txt),
        "--connectors-dir",
        str(tmp_path / "no-such-dir"),
        "--precompile",
        "0",
    )

    assert "pipped/SayHello" in result.summary("commands (1)")
    names = result.names()
    assert "connector_pipped/commands/hello.py" in names
    assert any(n.startswith("connector_pipped-1.0.0.dist-info/") for n in names)
    assert "not pinned anywhere" not in result.stdout
    root = tmp_path / "task"
    with zipfile.ZipFile(result.archive) as opened:
        opened.extractall(root)
    event = make_event("function-url", "POST", "/v1/do/pipped/SayHello", body={"name": "Lambda"})
    answer = lambda_like(python, root, [event])["answers"][0]
    assert body_of(answer)["command_response"]["body"] == {"hello": "Lambda"}


def test_a_connector_that_cannot_import_in_the_archive_stops_the_build(
    tmp_path: Path, target_python: Interpreter | None
) -> None:
    require(target_python)
    write_tree(
        tmp_path / "connectors",
        {
            "connector_needy/__init__.py": "",
            "connector_needy/commands/__init__.py": "",
            "connector_needy/commands/do.py": """
                from spiffworkflow_connector_command.command_interface import ConnectorCommand


                class Do(ConnectorCommand):
                    pass
            """,
        },
    )
    done = run_build(tmp_path, "--connectors-dir", str(tmp_path / "connectors"), "--precompile", "0")
    assert done.returncode == 1
    assert "No module named 'spiffworkflow_connector_command'" in done.stderr
    assert "list the package that provides that module in connectors.txt" in done.stderr
    assert "Traceback" not in done.stderr.split("make zip: error:")[-1]
    assert not (tmp_path / "dist" / TARGET.archive_name).exists()


def test_a_connector_needing_boto3_at_import_is_noted_not_refused(
    tmp_path: Path, target_python: Interpreter | None
) -> None:
    require(target_python)
    write_tree(
        tmp_path / "connectors",
        {
            "connector_cloudy/__init__.py": "",
            "connector_cloudy/commands/__init__.py": "",
            "connector_cloudy/commands/put.py": "import boto3\n\n\nclass Put:\n    pass\n",
        },
    )
    done = run_build(tmp_path, "--connectors-dir", str(tmp_path / "connectors"), "--precompile", "0")
    assert done.returncode == 0, done.stderr
    assert "connector_cloudy.commands.put imports boto3 when loaded; the Lambda runtime provides it" in (
        done.stdout
    )


def test_without_the_target_python_it_builds_without_bytecode_and_says_so(tmp_path: Path) -> None:
    if find_python("3.14") is not None:
        pytest.skip("Python 3.14 is installed here, so the missing-interpreter path cannot be shown")
    done = run_build(tmp_path, "--python-version", "3.14", "--precompile", "1")
    assert done.returncode == 0, done.stderr
    assert "NO BYTECODE" in done.stderr
    assert "pyenv install 3.14" in done.stderr
    archive = tmp_path / "dist" / "spiff-connector-proxy-py3.14-x86_64.zip"
    with zipfile.ZipFile(archive) as opened:
        assert not [n for n in opened.namelist() if n.endswith(".pyc")]


def test_unreachable_package_index_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_INDEX_URL=f"http://127.0.0.1:{closed_port}/simple",
        PIP_NO_CACHE_DIR="1",
        PIP_RETRIES="1",
        PIP_TIMEOUT="5",
    )
    stale = tmp_path / "dist" / TARGET.archive_name
    stale.parent.mkdir()
    stale.write_bytes(b"an archive from an earlier build")
    done = run_build(tmp_path, "--precompile", "0", env=env)
    assert done.returncode == 1
    assert "could not reach the package index" in done.stderr
    assert "Traceback" not in done.stderr
    assert not stale.exists(), "a failed build left an archive that looks like its result"


# --- small pieces -----------------------------------------------------------------------------


def test_limits_fail_with_a_clear_message(tmp_path: Path) -> None:
    archive = tmp_path / "x.zip"
    check_limits(Sizes(zipped=49 * MB, unpacked=249 * MB, parts=[]), archive)
    with pytest.raises(BuildError, match="through S3"):
        check_limits(Sizes(zipped=51 * MB, unpacked=100 * MB, parts=[]), archive)
    with pytest.raises(BuildError, match=r"250\.0 MB limit"):
        check_limits(Sizes(zipped=40 * MB, unpacked=251 * MB, parts=[]), archive)


def test_requirement_lines_and_pins(tmp_path: Path) -> None:
    text = "# comment\nconnector-a==1.0  # why\n\nconnector-b>=2 \\\n  ; python_version>'3'\n./local\n"
    assert logical_lines(text) == ["connector-a==1.0", "connector-b>=2    ; python_version>'3'", "./local"]
    requirements = tmp_path / "r.txt"
    requirements.write_text(text + "Some_Package[extra]==3\n")
    assert pinned_names([requirements, tmp_path / "missing.txt"]) == {"connector-a", "some-package"}


def test_pip_failures_are_explained() -> None:
    offline = "WARNING: Retrying ... NewConnectionError('Failed to establish a new connection')\nERROR: x"
    assert "could not reach the package index" in explain_pip_failure(offline, "download", "python3")
    no_wheel = "ERROR: No matching distribution found for lxml==9.9"
    assert "no wheel for lxml==9.9" in explain_pip_failure(no_wheel, "download", "python3")
    assert "has no pip" in explain_pip_failure(
        "/usr/bin/python3: No module named pip", "x", "/usr/bin/python3"
    )
