"""Our connector SDK has the public surface published connectors use (PROTOCOL.md section 10)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from spiffworkflow_connector_command import command_interface
from spiffworkflow_connector_command.command_interface import (
    CommandErrorDict,
    CommandResponseDict,
    CommandResultDictV1,
    ConnectorCommand,
    ConnectorProxyResponseDict,
)
from support.paths import PROJECT_ROOT

from tools.lambda_zip.target import find_python


class Echo(ConnectorCommand):
    def __init__(self, message: str) -> None:
        self.message = message

    def execute(self, config: Any, task_data: dict[str, Any]) -> ConnectorProxyResponseDict:
        response: CommandResponseDict = {"body": {"echo": self.message}, "mimetype": "application/json"}
        return {"command_response": response, "error": None, "command_response_version": 2}


def test_a_command_must_implement_execute() -> None:
    class Incomplete(ConnectorCommand):
        pass

    with pytest.raises(TypeError, match="abstract"):
        Incomplete()  # type: ignore[abstract]
    assert Echo("hi").execute({}, {})["command_response"]["body"] == {"echo": "hi"}


def test_app_description_is_only_for_those_that_override_it() -> None:
    with pytest.raises(NotImplementedError, match="app_description"):
        Echo("hi").app_description({"CLIENT_ID": "x"})

    class Auth(Echo):
        def app_description(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
            return {"client_id": args[0]["CLIENT_ID"]}

    assert Auth("x").app_description({"CLIENT_ID": "abc"}) == {"client_id": "abc"}


@pytest.mark.parametrize(
    ("shape", "required", "optional"),
    [
        (CommandErrorDict, {"error_code", "message"}, set()),
        (CommandResponseDict, {"body", "mimetype"}, {"http_status"}),
        (
            ConnectorProxyResponseDict,
            {"command_response", "error", "command_response_version"},
            {"spiff__logs"},
        ),
        (CommandResultDictV1, {"response", "status", "mimetype"}, set()),
    ],
)
def test_result_shapes_have_the_published_keys(shape: Any, required: set[str], optional: set[str]) -> None:
    assert shape.__required_keys__ == required
    assert shape.__optional_keys__ == optional


def test_it_imports_on_the_oldest_lambda_python_without_typing_extensions() -> None:
    python = find_python("3.10")
    if python is None:
        pytest.skip("Python 3.10 (Lambda's oldest Python runtime) is not installed here")
    sdk = Path(command_interface.__file__).parent.parent
    done = subprocess.run(
        [
            python.path,
            "-I",
            "-S",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "from spiffworkflow_connector_command.command_interface import ConnectorCommand; "
            "print('typing_extensions' in sys.modules)",
            str(sdk),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "False"), done.stderr
    assert sdk == PROJECT_ROOT / "sdk"


def test_in_a_checkout_connectors_find_our_sdk_without_installing_it(tmp_path: Path) -> None:
    """make serve and invoke run the checkout: a connector importing the SDK works there as in the zip."""
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(PROJECT_ROOT)!r})\n"
        "import lambda_function\n"
        "import spiffworkflow_connector_command.command_interface as sdk\n"
        "print(sdk.__file__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(
        PROJECT_ROOT / "sdk" / "spiffworkflow_connector_command" / "command_interface.py"
    )
