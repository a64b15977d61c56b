"""connectors.txt with connectors in every packaging shape of the published ones, GitHub unreachable.

One archive is built (module fixture) from connectors in those shapes (support/
published_connectors.py): poetry-core with the SDK as a github git dependency,
a git+file:// repository, psycopg2 declared and psycopg2 imported undeclared, a
dependency published only as an sdist (from a local --find-links folder), a
connector reading flask.current_app.config, plain classes. Every git URL of
github.com goes to a closed loopback port, so the build proves it never needs
GitHub. The archive is then imported by the target Python as Lambda does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import write_tree
from support import published_connectors as shapes
from support.archive import Built, body_of, build, github_unreachable, lambda_like, require
from support.lambda_events import make_event
from support.paths import PROJECT_ROOT
from support.sample_connectors import CONNECTOR_PIPPED_PROJECT

from tools.lambda_zip.target import Interpreter

# Its tests share one archive (the module fixture): on one pytest-xdist worker, built once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("connectors_txt")]

SDK_SOURCE = PROJECT_ROOT / "sdk" / "spiffworkflow_connector_command" / "command_interface.py"


@dataclass
class Published:
    root: Path
    connectors_file: Path
    built: Built


# Session, not module: pytest-xdist may run other tests between this module's, and the archive
# must still be built once.
@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    root = tmp_path_factory.mktemp("published")
    folders = {
        "connector-mailer": shapes.MAILER,
        "connector-postgresql": shapes.POSTGRESQL,
        "connector-books": shapes.BOOKS,
        "connector-beacon": shapes.BEACON,
        "connector-roster": shapes.ROSTER,
        "spiff-fixture-ledger": shapes.LEDGER_CLIENT,
        "spiff-fixture-pg-helper": shapes.PG_HELPER,
    }
    for name, files in folders.items():
        write_tree(root / name, files)
    shapes.write_sdist(root / "spiff-fixture-ledger", root / "index")
    shapes.write_sdist(root / "spiff-fixture-pg-helper", root / "index", kind="wheel")
    pg_url = shapes.git_repository(shapes.PG, root / "repos" / "connector-pg", "v0.1.0")
    connectors_file = root / "connectors.txt"
    connectors_file.write_text(
        "\n".join(
            [
                "# the fixture ledger is published only as an sdist, the pg helper as a wheel, here",
                f"--find-links {root / 'index'}",
                str(root / "connector-mailer"),
                pg_url,
                str(root / "connector-postgresql"),
                str(root / "connector-books"),
                str(root / "connector-beacon"),
                "flask==3.1.3",
                str(root / "connector-roster"),
            ]
        )
        + "\n"
    )
    built = build(root / "out", "--connectors-file", str(connectors_file), env=github_unreachable())
    return Published(root, connectors_file, built)


CALLS: dict[str, dict[str, Any]] = {
    "mailer/SendHTMLEmail": {
        "email_subject": "Hello",
        "email_body": "<p>Hi</p>",
        "email_to": ["ann@example.com", "bob@example.com"],
        "email_from": "spiff@example.com",
    },
    "pg/QuoteLiteral": {"value": "O'Reilly"},
    "postgresql/ParseDsn": {"dsn": "dbname=orders host=db.internal", "schema": {"id": "int"}},
    "books/CreateInvoice": {"access_token": "t0k3n", "description": "Consulting", "amount": "120.00"},
    "beacon/SendMessage": {"message": "deployed", "recipient": ["ops"]},
    "roster/GetEmployeeInfo": {"employee_id": "42"},
}


@pytest.fixture(scope="session")
def answers(
    published: Published, target_python: Interpreter | None, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    python = require(target_python)
    root = published.built.unpack(tmp_path_factory.mktemp("task"))
    events = [make_event("function-url", "GET", "/v1/commands")]
    events += [
        make_event("function-url", "POST", f"/v1/do/{command}", body=body) for command, body in CALLS.items()
    ]
    result = lambda_like(
        python, root, events, env={"CONNECTOR_PROXY_BEACON_BASE_URL": "http://beacon.internal"}
    )
    result["root"] = str(root)
    return result


def _answer(answers: Any, command: str) -> dict[str, Any]:
    answer: dict[str, Any] = answers["answers"][1 + list(CALLS).index(command)]
    assert answer["statusCode"] in (200, 201), answer
    return answer


def test_our_sdk_goes_in_because_connectors_declare_it_by_git(published: Published) -> None:
    sdk = published.built.summary("SDK")
    assert sdk.startswith("spiffworkflow-connector-command 0.2.0+lambda.1, ours (sdk/")
    assert "connector-mailer declares it (git+https://github.com/sartography/" in sdk
    assert "connector-pg declares it" in sdk
    with_sdk = published.built.names()
    assert "spiffworkflow_connector_command/command_interface.py" in with_sdk


def test_every_published_shape_is_in_the_manifest_checked_against_live_discovery(
    published: Published,
) -> None:
    # The build refuses a manifest that does not answer as live discovery does in the archive.
    assert published.built.summary("manifest").startswith("build ")


def test_the_summary_states_every_substitution_and_sdist(published: Published) -> None:
    substituted = published.built.summary("substituted")
    assert substituted.startswith("psycopg2 -> psycopg2-binary 2.9.")
    assert "connector-postgresql declares psycopg2 (>=2.9.5,<3.0.0)" in substituted
    assert "connector-pg imports psycopg2 without declaring it" in substituted
    assert (
        "psycopg2>=2.9 required by spiff-fixture-pg-helper" in substituted
    )  # a dependency's, met by a stand-in
    assert published.built.summary("from sdist") == (
        "spiff-fixture-ledger 1.2.0 (pure Python, built here from its sdist)"
    )
    names = published.built.names()
    assert any(n.startswith("psycopg2_binary-") and n.endswith(".dist-info/METADATA") for n in names)
    assert not any(n.startswith("psycopg2-") for n in names), "psycopg2 itself has no Linux wheel"
    assert "spiff_fixture_ledger/__init__.py" in names


def test_commands_are_described_as_the_reference_describes_them(answers: Any) -> None:
    described = {c["id"]: c["parameters"] for c in body_of(answers["answers"][0])}
    assert set(CALLS) <= set(described)
    mail = {p["id"]: (p["type"], p["required"]) for p in described["mailer/SendHTMLEmail"]}
    assert mail["email_to"] == ("str", True)  # list[str]
    assert mail["smtp_port"] == ("int", False)
    assert mail["smtp_starttls"] == ("bool", False)  # bool | None = False
    assert mail["attachments"] == ("any", False)  # Optional[list]
    assert described["beacon/SendMessage"] == [  # a dataclass
        {"id": "message", "type": "str", "required": True},
        {"id": "recipient", "type": "str", "required": True},
    ]
    assert described["books/CreateInvoice"][0] == {"id": "access_token", "type": "any", "required": True}
    assert described["postgresql/ParseDsn"][1] == {"id": "schema", "type": "any", "required": True}


def test_every_connector_runs_in_the_archive(answers: Any) -> None:
    mail = body_of(_answer(answers, "mailer/SendHTMLEmail"))
    assert mail["command_response"]["body"]["to"] == "ann@example.com, bob@example.com"
    assert mail["error"] is None
    assert body_of(_answer(answers, "postgresql/ParseDsn")) == {"dbname": "orders", "host": "db.internal"}
    invoice = _answer(answers, "books/CreateInvoice")
    assert invoice["statusCode"] == 201
    assert body_of(invoice)["client"] == "spiff-fixture-ledger 1.2.0"
    roster = _answer(answers, "roster/GetEmployeeInfo")
    assert json.loads(roster["body"]) == {"id": "42", "fields": "firstName"}
    assert answers["outside"] == []


def test_psycopg2_from_psycopg2_binary_imports_with_the_target_python(answers: Any) -> None:
    quoted = body_of(_answer(answers, "pg/QuoteLiteral"))["command_response"]["body"]
    assert quoted["quoted"] == "'O''Reilly'"
    assert quoted["module"] == str(Path(answers["root"]) / "psycopg2" / "__init__.py")


def test_a_flask_era_connector_reads_config_through_current_app(answers: Any) -> None:
    beacon = body_of(_answer(answers, "beacon/SendMessage"))
    assert beacon["base_url"] == "http://beacon.internal"
    assert beacon["same_keys"] and beacon["same_values"]
    assert isinstance(beacon["deadline"], float)


def test_the_sdk_in_the_archive_is_ours(published: Published, tmp_path: Path) -> None:
    root = published.built.unpack(tmp_path / "task")
    shipped = root / "spiffworkflow_connector_command" / "command_interface.py"
    assert shipped.read_text() == SDK_SOURCE.read_text()


def test_building_the_same_connectors_again_gives_the_same_bytes(
    published: Published, tmp_path: Path
) -> None:
    again = build(tmp_path, "--connectors-file", str(published.connectors_file), env=github_unreachable())
    assert again.archive.read_bytes() == published.built.archive.read_bytes()


def test_an_sdk_listed_in_connectors_txt_wins_without_a_conflict(
    tmp_path: Path, target_python: Interpreter | None
) -> None:
    python = require(target_python)
    write_tree(tmp_path / "their-sdk", shapes.THEIR_SDK)
    write_tree(tmp_path / "connector-mailer", shapes.MAILER)
    connectors_file = tmp_path / "connectors.txt"
    connectors_file.write_text(f"{tmp_path / 'their-sdk'}\n{tmp_path / 'connector-mailer'}\n")
    built = build(
        tmp_path, "--connectors-file", str(connectors_file), "--precompile", "0", env=github_unreachable()
    )
    sdk = built.summary("SDK")
    assert sdk.startswith("spiffworkflow-connector-command 0.2.0, yours (listed in connectors.txt")
    assert "connector-mailer declares it" in sdk
    root = built.unpack(tmp_path / "task")
    assert (root / "spiffworkflow_connector_command" / "__init__.py").read_text() == 'WHOSE = "theirs"\n'
    event = make_event(
        "function-url", "POST", "/v1/do/mailer/SendHTMLEmail", body=CALLS["mailer/SendHTMLEmail"]
    )
    answer = lambda_like(python, root, [event])["answers"][0]
    assert answer["statusCode"] == 200, answer


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
    assert result.summary("SDK") == "none (no connector declares or imports spiffworkflow_connector_command)"
    names = result.names()
    assert "connector_pipped/commands/hello.py" in names
    assert any(n.startswith("connector_pipped-1.0.0.dist-info/") for n in names)
    assert "not pinned anywhere" not in result.stdout
    root = result.unpack(tmp_path / "task")
    event = make_event("function-url", "POST", "/v1/do/pipped/SayHello", body={"name": "Lambda"})
    answer = lambda_like(python, root, [event])["answers"][0]
    assert body_of(answer)["command_response"]["body"] == {"hello": "Lambda"}
