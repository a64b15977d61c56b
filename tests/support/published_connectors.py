"""Connector packages in the packaging shapes of the published SpiffArena connectors
(see CONNECTOR-SHAPES.md): our own code, written in their shapes, for `make zip` to vendor.

Each is a dict of relative path -> source, written with `write_tree`. GITHUB_SDK is the
git dependency poetry-core turns into `Requires-Dist: spiffworkflow-connector-command @
git+https://github.com/...`: the builds that use these must never fetch it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import write_tree

GITHUB_SDK = (
    'spiffworkflow-connector-command = {git = "https://github.com/sartography/'
    'spiffworkflow-connector-command.git", rev = "main"}'
)


def _poetry(name: str, dependencies: str, packages: str) -> str:
    return f"""
        [tool.poetry]
        name = "{name}"
        version = "0.1.0"
        description = "A fixture connector"
        authors = ["Fixture <fixture@example.com>"]
        packages = [{packages}]

        [tool.poetry.dependencies]
        {dependencies}

        [build-system]
        requires = ["poetry-core"]
        build-backend = "poetry.core.masonry.api"
    """


# connector-smtp's shape: poetry-core, src/ layout, the SDK by git; a ConnectorCommand.
MAILER = {
    "pyproject.toml": _poetry(
        "connector-mailer", f'python = "^3.9"\n{GITHUB_SDK}', '{include = "connector_mailer", from = "src"}'
    ),
    "src/connector_mailer/__init__.py": "",
    "src/connector_mailer/commands/__init__.py": "",
    "src/connector_mailer/commands/send_email.py": """
        from email.message import EmailMessage
        from typing import Any, Optional

        from spiffworkflow_connector_command.command_interface import (
            CommandErrorDict,
            ConnectorCommand,
            ConnectorProxyResponseDict,
        )


        class SendHTMLEmail(ConnectorCommand):
            def __init__(
                self,
                email_subject: str,
                email_body: str,
                email_to: list[str],
                email_from: str,
                smtp_port: int = 25,
                smtp_starttls: bool | None = False,
                email_cc: str | None = None,
                attachments: Optional[list] = None,
            ):
                self.subject, self.body = email_subject, email_body
                self.to, self.sender = email_to, email_from

            def execute(self, config: Any, task_data: dict) -> ConnectorProxyResponseDict:
                message = EmailMessage()
                message["Subject"], message["From"] = self.subject, self.sender
                message["To"] = ", ".join(self.to)
                message.set_content(self.body, subtype="html")
                error: CommandErrorDict | None = None
                return {
                    "command_response": {"body": {"to": message["To"], "bytes": len(bytes(message))},
                                         "mimetype": "application/json", "http_status": 200},
                    "command_response_version": 2,
                    "error": error,
                    "spiff__logs": [],
                }
    """,
}

# connector-postgres-v2's shape: src/ layout, the SDK by git, imports psycopg2 without declaring it.
# Listed as a git+file:// URL of a local repository.
PG = {
    "pyproject.toml": _poetry(
        "connector-pg",
        f'python = "^3.9"\nrequests = "^2.28"\n{GITHUB_SDK}',
        '{include = "connector_pg", from = "src"}',
    ),
    "src/connector_pg/__init__.py": "",
    "src/connector_pg/commands/__init__.py": "",
    "src/connector_pg/commands/quote.py": """
        import psycopg2
        import psycopg2.extensions
        from spiffworkflow_connector_command.command_interface import ConnectorCommand


        class QuoteLiteral(ConnectorCommand):
            def __init__(self, value: str):
                self.value = value

            def execute(self, config, task_data):
                quoted = psycopg2.extensions.adapt(self.value).getquoted().decode()
                return {
                    "command_response": {"body": {"quoted": quoted, "module": psycopg2.__file__},
                                         "mimetype": "application/json"},
                    "command_response_version": 2,
                    "error": None,
                }
    """,
}

# connector-postgresql's shape: flat layout, psycopg2 ^2.9.5 declared (no Linux wheels).
POSTGRESQL = {
    "pyproject.toml": _poetry(
        "connector-postgresql", 'python = "^3.11"\npsycopg2 = "^2.9.5"', '{include = "connector_postgresql"}'
    ),
    "connector_postgresql/__init__.py": "",
    "connector_postgresql/commands/__init__.py": "",
    "connector_postgresql/commands/dsn.py": """
        from typing import Any, Optional


        class ParseDsn:
            def __init__(self, dsn: str, schema: dict[str, Any], options: Optional[dict] = None):
                self.dsn = dsn

            def execute(self, config, task_data):
                from psycopg2.extensions import parse_dsn

                return {"response": parse_dsn(self.dsn), "status": 200, "mimetype": "application/json"}
    """,
}

# connector-xero's shape: flat, with auths/, a dependency published only as a (pure) sdist, and
# one that requires psycopg2.
BOOKS = {
    "pyproject.toml": _poetry(
        "connector-books",
        'python = "^3.11"\nspiff-fixture-ledger = "^1.0"\nspiff-fixture-pg-helper = "^1.0"',
        '{include = "connector_books"}',
    ),
    "connector_books/__init__.py": "",
    "connector_books/commands/__init__.py": "",
    "connector_books/commands/invoice.py": """
        import spiff_fixture_ledger


        class CreateInvoice:
            def __init__(self, access_token, description: str, amount: str):
                self.description, self.amount = description, amount

            def execute(self, config, task_data):
                invoice = spiff_fixture_ledger.invoice(self.description, self.amount)
                return {"response": invoice, "status": 201, "mimetype": "application/json"}
    """,
    "connector_books/auths/__init__.py": "",
    "connector_books/auths/oauth.py": """
        class OAuth:
            def __init__(self, client_id: str, client_secret: str):
                pass

            @staticmethod
            def app_description(config):
                return {"client_id": config["CONNECTOR_PROXY_BOOKS_CLIENT_ID"]}
    """,
}

# The pure-Python dependency of BOOKS, published only as an sdist. Fixture names start with
# spiff-fixture-: a name that exists on PyPI would be taken from there instead.
LEDGER_CLIENT = {
    "pyproject.toml": """
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "spiff-fixture-ledger"
        version = "1.2.0"
    """,
    "spiff_fixture_ledger/__init__.py": """
        def invoice(description, amount):
            return {"description": description, "amount": amount, "client": "spiff-fixture-ledger 1.2.0"}
    """,
}

# A library on the index (here a local --find-links folder) that requires psycopg2 itself, a
# dependency of BOOKS: the build meets that through a stand-in for psycopg2 that requires
# psycopg2-binary.
PG_HELPER = {
    "pyproject.toml": """
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "spiff-fixture-pg-helper"
        version = "1.0.0"
        dependencies = ["psycopg2>=2.9"]
    """,
    "spiff_fixture_pg_helper/__init__.py": """
        def driver_version():
            import psycopg2

            return psycopg2.__version__
    """,
}

# connector-waku's shape: flat, reads its setting through flask.current_app, Flask not declared;
# a dataclass command.
BEACON = {
    "pyproject.toml": _poetry(
        "connector-beacon", 'python = "^3.11"\nrequests = "^2.28"', '{include = "connector_beacon"}'
    ),
    "connector_beacon/__init__.py": "",
    "connector_beacon/commands/__init__.py": "",
    "connector_beacon/commands/send.py": """
        from dataclasses import dataclass

        from flask import current_app


        @dataclass
        class SendMessage:
            message: str
            recipient: list[str]

            def execute(self, _config, _task_data):
                settings = current_app.config
                answer = {
                    "base_url": settings["CONNECTOR_PROXY_BEACON_BASE_URL"],
                    "same_keys": sorted(settings) == sorted(_config),
                    "same_values": all(settings[key] == _config[key] for key in _config),
                    "deadline": settings.get("CONNECTOR_PROXY_DEADLINE"),
                }
                return {"response": answer, "status": 200, "mimetype": "application/json"}
    """,
}

# connector-bamboohr's shape: flat, plain classes, no SDK, a v1 result.
ROSTER = {
    "pyproject.toml": _poetry(
        "connector-roster", 'python = "^3.11"\nrequests = "^2.28"', '{include = "connector_roster"}'
    ),
    "connector_roster/__init__.py": "",
    "connector_roster/commands/__init__.py": "",
    "connector_roster/commands/employee.py": """
        import json
        from typing import Optional


        class GetEmployeeInfo:
            def __init__(self, employee_id: str, fields: Optional[str] = "firstName"):
                self.employee_id, self.fields = employee_id, fields

            def execute(self, config, task_data):
                return {"response": json.dumps({"id": self.employee_id, "fields": self.fields}),
                        "status": 200, "mimetype": "application/json"}
    """,
}

# Someone's own copy of the SDK, listed in connectors.txt: it must win over ours.
THEIR_SDK = {
    "pyproject.toml": _poetry(
        "spiffworkflow-connector-command",
        'python = "^3.9"',
        '{include = "spiffworkflow_connector_command", from = "src"}',
    ).replace('version = "0.1.0"', 'version = "0.2.0"'),
    "src/spiffworkflow_connector_command/__init__.py": 'WHOSE = "theirs"\n',
    "src/spiffworkflow_connector_command/command_interface.py": """
        import abc


        class ConnectorCommand(metaclass=abc.ABCMeta):
            @abc.abstractmethod
            def execute(self, config, task_data):
                raise NotImplementedError


        CommandErrorDict = ConnectorProxyResponseDict = CommandResponseDict = dict
    """,
}


def write_sdist(project: Path, destination: Path, kind: str = "sdist") -> Path:
    """Build `project` into an sdist (or a wheel) in `destination` with setuptools (of the test venv)."""
    destination.mkdir(parents=True, exist_ok=True)
    script = f"import sys; from setuptools import build_meta; print(build_meta.build_{kind}(sys.argv[1]))"
    done = subprocess.run(
        [sys.executable, "-c", script, str(destination)],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return destination / done.stdout.strip().splitlines()[-1]


def git_repository(files: dict[str, str], where: Path, tag: str) -> str:
    """A local git repository holding `files`, tagged; its git+file:// URL at that tag."""
    write_tree(where, files)
    settings = [
        "-c",
        "user.name=Fixture",
        "-c",
        "user.email=fixture@example.com",
        "-c",
        "init.defaultBranch=main",
    ]
    for command in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "connector"], ["tag", tag]):
        subprocess.run(["git", *settings, *command], cwd=where, check=True, capture_output=True, timeout=60)
    return f"git+file://{where}@{tag}"
