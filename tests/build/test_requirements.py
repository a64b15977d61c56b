"""The pieces of make zip's connectors.txt handling, without building anything:
requirement lines, wheel metadata rewriting, the rules of plan.py, and reading pip's output."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import write_tree

from tools.lambda_zip.pip import (
    explain_pip_failure,
    is_network_failure,
    missing_distributions,
    required_by,
    unreachable_host,
)
from tools.lambda_zip.plan import SDK_NAME, Plan, make_plan
from tools.lambda_zip.requirements import (
    Entry,
    Requirement,
    logical_lines,
    parse_requirement,
    pinned_names,
    read_entries,
    url_host,
)
from tools.lambda_zip.substitutions import SUBSTITUTIONS, UNDECLARED_IMPORTS
from tools.lambda_zip.wheels import Wheel, imported_modules, read_wheel, with_requirements

GIT_SDK = f"{SDK_NAME} @ git+https://github.com/sartography/spiffworkflow-connector-command.git@main"


def make_wheel(directory: Path, name: str, requires: list[str], files: dict[str, str]) -> Wheel:
    """A minimal real wheel: the files, METADATA, WHEEL and RECORD."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{name.replace('-', '_')}-1.0"
    metadata = "\n".join(
        ["Metadata-Version: 2.1", f"Name: {name}", "Version: 1.0", *[f"Requires-Dist: {r}" for r in requires]]
    )
    contents = {
        **files,
        f"{stem}.dist-info/METADATA": metadata + "\n\nA description.\n",
        f"{stem}.dist-info/WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    contents[f"{stem}.dist-info/RECORD"] = (
        "".join(f"{n},,\n" for n in contents) + f"{stem}.dist-info/RECORD,,\n"
    )
    path = directory / f"{stem}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for member, text in contents.items():
            wheel.writestr(member, text)
    return read_wheel(path)


def connector_wheel(directory: Path, name: str, requires: list[str], source: str = "") -> Wheel:
    module = name.replace("-", "_")
    return make_wheel(
        directory, name, requires, {f"{module}/__init__.py": "", f"{module}/commands/c.py": source}
    )


def plan_for(
    tmp_path: Path,
    entries: list[Entry],
    wheels: list[Wheel],
    folders: tuple[Path, ...] = (),
    index_wheels: dict[str, Wheel] | None = None,
) -> Plan:
    sdk = make_wheel(tmp_path / "ours", SDK_NAME, [], {"spiffworkflow_connector_command/__init__.py": ""})

    def fetch_url(requirement: Requirement, requirer: str) -> Wheel:
        raise AssertionError(f"{requirement} of {requirer} should not have been fetched")

    return make_plan(
        entries,
        wheels,
        list(folders),
        fetch_url=fetch_url,
        our_sdk=lambda: sdk,
        rewritten=tmp_path / "rewritten",
        index_wheels=index_wheels,
    )


# --- requirement lines ------------------------------------------------------------------


def test_requirement_lines_and_pins(tmp_path: Path) -> None:
    text = "# comment\nconnector-a==1.0  # why\n\nconnector-b>=2 \\\n  ; python_version>'3'\n./local\n"
    assert logical_lines(text) == ["connector-a==1.0", "connector-b>=2    ; python_version>'3'", "./local"]
    requirements = tmp_path / "r.txt"
    requirements.write_text(text + "Some_Package[extra]==3\n")
    assert pinned_names([requirements, tmp_path / "missing.txt"]) == {"connector-a", "some-package"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("psycopg2 (>=2.9.5,<3.0.0)", Requirement("psycopg2", specifier=">=2.9.5,<3.0.0")),
        (
            "requests[socks]>=2 ; python_version >= '3.9'",
            Requirement("requests", "[socks]", ">=2", "", "python_version >= '3.9'"),
        ),
        (GIT_SDK, Requirement(SDK_NAME, url=GIT_SDK.split(" @ ")[1])),
        (
            "x @ file:///tmp/x.whl ; sys_platform == 'linux'",
            Requirement("x", url="file:///tmp/x.whl", marker="sys_platform == 'linux'"),
        ),
        ("./not-a-requirement", None),
    ],
)
def test_requirements_are_read_as_pep_508(text: str, expected: Requirement | None) -> None:
    assert parse_requirement(text) == expected


def test_a_requirement_met_by_name_keeps_extras_and_markers() -> None:
    requirement = parse_requirement("Foo[bar] @ git+https://example.com/foo.git ; python_version >= '3.9'")
    assert requirement is not None
    assert str(requirement.by_name_only()) == "Foo[bar] ; python_version >= '3.9'"
    psycopg2 = parse_requirement("psycopg2>=2.9")
    assert psycopg2 is not None and str(psycopg2.renamed("psycopg2-binary")) == "psycopg2-binary>=2.9"


def test_connectors_txt_entries_are_told_apart(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    connectors_file = tmp_path / "conf" / "connectors.txt"
    connectors_file.write_text(
        "--find-links wheels\n-r more.txt\nflask==3.1.3\n./connector-a\n"
        "git+https://github.com/o/connector-b@v1\nconnector-c @ git+file:///repo@v2\n./dist/x-1.0-py3-none-any.whl\n"
    )
    entries = read_entries(connectors_file, tmp_path)
    assert [e.kind for e in entries] == ["option", "option", "name", "build", "build", "build", "wheel"]
    assert entries[0].target == f"--find-links {tmp_path / 'conf' / 'wheels'}"  # relative to the file, as pip
    assert entries[1].target == f"-r {tmp_path / 'conf' / 'more.txt'}"
    assert entries[3].target == str(tmp_path / "connector-a")  # relative to the project
    assert entries[6].target == str(tmp_path / "dist" / "x-1.0-py3-none-any.whl")


def test_url_hosts() -> None:
    assert url_host("git+https://github.com/o/r@v1") == "github.com"
    assert url_host("x @ https://user:secret@files.example.com/x.whl") == "files.example.com"
    assert url_host("git+file:///tmp/repo") is None


# --- wheels -----------------------------------------------------------------------------------


def test_a_rewritten_wheel_declares_the_new_requirements_and_keeps_record_true(tmp_path: Path) -> None:
    wheel = connector_wheel(tmp_path / "in", "connector-x", [GIT_SDK, "requests>=2"])
    rewritten = with_requirements(wheel, [SDK_NAME, "requests>=2"], tmp_path / "out")
    assert rewritten.requires == (SDK_NAME, "requests>=2")
    assert rewritten.path.name == wheel.path.name
    with zipfile.ZipFile(rewritten.path) as opened:
        metadata = opened.read("connector_x-1.0.dist-info/METADATA").decode()
        record = opened.read("connector_x-1.0.dist-info/RECORD").decode()
    assert metadata.endswith("\n\nA description.\n") and "github.com" not in metadata
    assert "connector_x-1.0.dist-info/METADATA,sha256=" in record
    # pip installs it: the RECORD hash matches.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--target",
            str(tmp_path / "t"),
            str(rewritten.path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert rewritten.is_connector and rewritten.is_pure


def test_imports_are_found_anywhere_in_the_code() -> None:
    sources = [
        ("a.py", b"import os, psycopg2.extras\nfrom flask import current_app\n"),
        (
            "b.py",
            b"def f():\n    from spiffworkflow_connector_command.command_interface import ConnectorCommand\n",
        ),
        ("c.py", b"from . import sibling\n'''import not_this'''\n"),
        ("d.py", b"match x:\n  case 1: import newer_syntax_ok\n"),
    ]
    found = imported_modules(sources)
    assert {"os", "psycopg2", "flask", "spiffworkflow_connector_command"} <= found
    assert "not_this" not in found and "sibling" not in found


# --- the rules ---------------------------------------------------------------------------------


def test_ours_goes_in_when_a_connector_declares_the_sdk_by_git(tmp_path: Path) -> None:
    wheel = connector_wheel(tmp_path, "connector-smtp", [GIT_SDK])
    plan = plan_for(tmp_path, [Entry("./connector-smtp", "build", str(tmp_path))], [wheel])
    assert plan.sdk == "ours"
    assert plan.sdk_wanted_by == [f"connector-smtp declares it ({GIT_SDK.split(' @ ')[1]})"]
    smtp, sdk = plan.wheels
    assert smtp.requires == (SDK_NAME,)  # met by name: never fetched
    assert sdk.name == SDK_NAME and str(sdk.path) in plan.lines


def test_an_sdk_listed_in_connectors_txt_is_the_one(tmp_path: Path) -> None:
    connector = connector_wheel(tmp_path, "connector-smtp", [f"{SDK_NAME}==0.1.0"])
    theirs = make_wheel(
        tmp_path / "theirs", SDK_NAME, [], {"spiffworkflow_connector_command/__init__.py": ""}
    )
    plan = plan_for(tmp_path, [], [connector, theirs])
    assert plan.sdk == "yours"
    assert plan.wheels[0].requires == (SDK_NAME,)  # no version conflict with theirs
    assert [w.name for w in plan.wheels] == ["connector-smtp", SDK_NAME]


def test_ours_goes_in_when_a_connector_imports_the_sdk_without_declaring_it(tmp_path: Path) -> None:
    write_tree(
        tmp_path / "connectors",
        {"connector_slack/commands/post.py": "from spiffworkflow_connector_command import x\n"},
    )
    plan = plan_for(tmp_path, [], [], (tmp_path / "connectors" / "connector_slack",))
    assert plan.sdk == "ours"
    assert plan.sdk_wanted_by == ["connectors/connector_slack imports it"]


def test_no_sdk_when_no_connector_needs_one(tmp_path: Path) -> None:
    plan = plan_for(
        tmp_path,
        [Entry("flask==3.1.3", "name", "flask==3.1.3")],
        [connector_wheel(tmp_path, "connector-a", [])],
    )
    assert plan.sdk == "" and plan.lines[0] == "flask==3.1.3"


def test_a_url_dependency_is_met_by_the_entry_of_that_name(tmp_path: Path) -> None:
    connector = connector_wheel(tmp_path, "connector-x", ["helper @ git+https://github.com/o/helper@v1"])
    helper = make_wheel(tmp_path / "h", "helper", [], {"helper/__init__.py": ""})
    plan = plan_for(tmp_path, [], [connector, helper])
    assert plan.wheels[0].requires == ("helper",)
    assert plan.by_name == [
        "connector-x: helper @ git+https://github.com/o/helper@v1 -> connectors.txt's helper"
    ]


def test_psycopg2_is_substituted_where_declared_and_added_where_only_imported(tmp_path: Path) -> None:
    declared = connector_wheel(tmp_path / "a", "connector-postgresql", ["psycopg2 (>=2.9.5,<3.0.0)"])
    plan = plan_for(tmp_path, [Entry("psycopg2==2.9.9", "name", "psycopg2==2.9.9")], [declared])
    assert plan.wheels[0].requires == ("psycopg2-binary>=2.9.5,<3.0.0",)
    assert "psycopg2-binary==2.9.9" in plan.lines
    assert plan.substituted["psycopg2"] == [
        "connectors.txt lists psycopg2==2.9.9",
        "connector-postgresql declares psycopg2 (>=2.9.5,<3.0.0)",
    ]
    imported = connector_wheel(tmp_path / "b", "connector-postgres-v2", [], "import psycopg2\n")
    plan = plan_for(tmp_path, [], [imported])
    assert plan.added == {"psycopg2-binary": ["connector-postgres-v2 imports psycopg2 without declaring it"]}
    assert plan.lines[-1] == "psycopg2-binary"


def test_flask_is_added_for_a_flask_era_connector_unless_listed(tmp_path: Path) -> None:
    waku = connector_wheel(tmp_path, "connector-waku", ["requests"], "from flask import current_app\n")
    assert plan_for(tmp_path, [], [waku]).added == {
        "flask": ["connector-waku imports flask without declaring it"]
    }
    listed = plan_for(tmp_path, [Entry("Flask==3.1.3", "name", "Flask==3.1.3")], [waku])
    assert listed.added == {}


def test_each_substitution_is_one_line_and_names_its_module() -> None:
    assert SUBSTITUTIONS["psycopg2"].replacement == "psycopg2-binary"
    assert UNDECLARED_IMPORTS["psycopg2"] == "psycopg2-binary"
    assert UNDECLARED_IMPORTS["flask"] == "flask"


# --- what pip and git say ------------------------------------------------------------------


def test_network_failures_name_the_host() -> None:
    git = (
        "fatal: unable to access 'https://github.com/sartography/x.git/': Could not resolve host: github.com"
    )
    assert is_network_failure(git) and unreachable_host(git) == "github.com"
    pip = (
        "Max retries exceeded with url: /simple/x/ (Caused by NewConnectionError(...)) "
        "HTTPSConnectionPool(host='pypi.org', port=443)"
    )
    assert is_network_failure(pip) and unreachable_host(pip) == "pypi.org"
    refused = "Looking in indexes: https://user:pw@mirror.corp.example/simple\nWARNING: Connection refused"
    assert unreachable_host(refused) == "mirror.corp.example"


def test_pip_failures_are_explained() -> None:
    offline = "WARNING: Retrying ... NewConnectionError('Failed to establish a new connection')\nERROR: x"
    assert "could not reach the package index" in explain_pip_failure(offline, "download", "python3")
    no_wheel = "ERROR: No matching distribution found for lxml==9.9"
    assert "no wheel for lxml==9.9" in explain_pip_failure(no_wheel, "download", "python3")
    assert "has no pip" in explain_pip_failure(
        "/usr/bin/python3: No module named pip", "x", "/usr/bin/python3"
    )
    said = (
        "ERROR: Could not find a version that satisfies the requirement ledger<2,>=1 (from connector-books) "
        "(from versions: none)\nERROR: No matching distribution found for ledger<2,>=1\n"
    )
    assert missing_distributions(said) == ["ledger<2,>=1"]
    assert required_by(said, "ledger<2,>=1") == "connector-books"
    assert required_by(said.replace("(from connector-books) ", ""), "ledger<2,>=1") is None


def test_a_connector_from_the_index_is_read_like_a_folder(tmp_path: Path) -> None:
    # On an index a connector cannot declare the SDK (it is on GitHub only): it imports it.
    importing = connector_wheel(
        tmp_path / "a", "connector-ticket", ["requests"], "import spiffworkflow_connector_command\n"
    )
    entry = Entry("connector-ticket==2.0", "name", "connector-ticket==2.0")
    plan = plan_for(tmp_path, [entry], [], index_wheels={entry.line: importing})
    assert plan.sdk == "ours" and plan.sdk_wanted_by == ["connector-ticket imports it"]
    assert "connector-ticket==2.0" in plan.lines  # nothing to rewrite: resolved by name, as written
    # One declaring a version of the SDK goes to pip rewritten, met by whichever SDK goes in.
    declaring = connector_wheel(tmp_path / "b", "connector-ticket", [f"{SDK_NAME}>=0.2"])
    plan = plan_for(tmp_path, [entry], [], index_wheels={entry.line: declaring})
    assert "connector-ticket==2.0" not in plan.lines
    assert plan.wheels[0].requires == (SDK_NAME,) and str(plan.wheels[0].path) in plan.lines
