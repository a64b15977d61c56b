"""`make zip` of the project as it is: right for Lambda, reproducible, and working the way Lambda loads it.

A session fixture (conftest.py) builds the archive once (pip's cache makes later
builds quick); the smoke tests unpack it into an empty directory and import it with
the target Python in isolated mode, with only that directory on sys.path, as
Lambda does with /var/task.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from support.archive import Built, body_of, build, lambda_like, require
from support.lambda_events import make_event
from support.paths import PROJECT_ROOT

from tools.lambda_zip import OLDEST_PYTHON
from tools.lambda_zip.target import Interpreter, find_python

pytestmark = pytest.mark.slow

PROJECT = PROJECT_ROOT
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
    match = re.search(
        r"^  commands \((\d+)\)\s+(.*?)( \(checked with Python [^)]*\))?$", built.stdout, re.MULTILINE
    )
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
            assert re.search(r"(^|/)__pycache__/[^/]+\.cpython-313\.pyc\Z", name), name


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


def test_every_module_has_target_bytecode(built: Built, target_python: Interpreter | None) -> None:
    require(target_python)  # without it the build carries no bytecode, and says so (test_failures.py)
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


def test_the_oldest_python_the_readme_names_builds_the_same_archive(built: Built, tmp_path: Path) -> None:
    """make zip needs only python3 and pip, from Python 3.9 on: the same sources give the same bytes."""
    oldest = ".".join(map(str, OLDEST_PYTHON))
    python = find_python(oldest)
    if python is None:
        pytest.skip(f"Python {oldest} (the oldest make zip supports) is not installed here")
    done = subprocess.run(
        [python.path, "-m", "tools.build_zip", "--dist-dir", str(tmp_path / "dist"), "--build-dir",
         str(tmp_path / "build")],
        cwd=PROJECT, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "dist" / built.archive.name).read_bytes() == built.archive.read_bytes()
