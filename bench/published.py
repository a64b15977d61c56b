"""Stand-ins for the published connectors a real deployment lists: smtp, slack and postgres.

GitHub cannot be reached from here, so these are written from what CONNECTOR-SHAPES.md says of
connector-smtp, connector-slack and connector-postgres-v2, down to what costs a cold start: what
their command modules import when they load (smtplib, ssl and email's MIME classes; requests;
psycopg2, which the build turns into psycopg2-binary) and the connector SDK they build on. Each
is a folder project listed in a connectors.txt by path, as a user lists a local clone.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

_PROJECT = """
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "0.1.0"
dependencies = [{dependencies}]

[tool.setuptools.packages.find]
include = ["{module}*"]
"""

_COMMANDS = {
    "connector_smtp": """
        import smtplib
        import ssl
        from email.mime.application import MIMEApplication
        from email.mime.multipart import MIMEMultipart
        from email.mime.text import MIMEText

        from spiffworkflow_connector_command.command_interface import ConnectorCommand


        class SendHTMLEmail(ConnectorCommand):
            def __init__(self, email_subject: str, email_body: str, email_to: list[str],
                         email_from: str, smtp_host: str = "localhost", smtp_port: int = 25,
                         smtp_starttls: bool | None = False):
                self.subject, self.body = email_subject, email_body
                self.to, self.sender = email_to, email_from

            def execute(self, config, task_data):
                message = MIMEMultipart()
                message.attach(MIMEText(self.body, "html"))
                return {"command_response": {"body": {"bytes": len(message.as_bytes())},
                                             "mimetype": "application/json"},
                        "command_response_version": 2, "error": None}
    """,
    "connector_slack": """
        import json

        import requests
        from spiffworkflow_connector_command.command_interface import ConnectorCommand


        class PostMessage(ConnectorCommand):
            def __init__(self, token: str, channel: str, message: str):
                self.token, self.channel, self.message = token, channel, message

            def execute(self, config, task_data):
                body = {"channel": self.channel}
                return {"command_response": {"body": body, "mimetype": "application/json"},
                        "command_response_version": 2, "error": None}
    """,
    "connector_postgres_v2": """
        from typing import Any

        import psycopg2
        import psycopg2.extras
        from spiffworkflow_connector_command.command_interface import ConnectorCommand


        class SelectValues(ConnectorCommand):
            def __init__(self, database_name: str, table_name: str, schema: dict[str, Any]):
                self.table_name = table_name

            def execute(self, config, task_data):
                body = {"table": self.table_name}
                return {"command_response": {"body": body, "mimetype": "application/json"},
                        "command_response_version": 2, "error": None}
    """,
}
_DEPENDENCIES = {
    "connector_smtp": '"spiffworkflow-connector-command"',
    "connector_slack": '"requests", "spiffworkflow-connector-command"',
    # connector-postgres-v2 imports psycopg2 without declaring it.
    "connector_postgres_v2": '"spiffworkflow-connector-command"',
}


def write(folder: Path) -> Path:
    """The three projects under `folder`, and the connectors.txt that lists them; its path."""
    lines = []
    for module, source in _COMMANDS.items():
        project = folder / module.replace("_", "-")
        package = project / module
        (package / "commands").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "commands" / "__init__.py").write_text("")
        (package / "commands" / "commands.py").write_text(textwrap.dedent(source).lstrip())
        name = module.replace("_", "-")
        (project / "pyproject.toml").write_text(
            _PROJECT.format(name=name, module=module, dependencies=_DEPENDENCIES[module]).lstrip()
        )
        lines.append(str(project))
    listed = folder / "connectors.txt"
    listed.write_text("\n".join(lines) + "\n")
    return listed
