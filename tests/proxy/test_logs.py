"""The per-request log record, as Lambda receives it: through the logging awslambdaric sets up.

One record per request, in Lambda's JSON format with the facts as fields, in the text format on one
line; the error code of a failed command also when the HTTP status is 200; the level chosen by the
one precedence rule; nothing a caller or an upstream sends can break a line or leak a key.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import AddConnectors
from support.lambda_events import invoke, lambda_context
from support.lambda_runtime import JSON_ERROR, JSON_INFO, REQUEST_ID, TEXT, TEXT_INFO, Frame, runtime_logging

from spiff_lambda_proxy.settings import Settings, log_level

KEY = "log-test-key-5e1f"
HEADERS = {"Spiff-Connector-Proxy-Api-Key": KEY}

CONNECTOR_LOGGED = {
    "connector_logged/__init__.py": "",
    "connector_logged/commands/__init__.py": "",
    "connector_logged/commands/calls.py": """
        def v2(status, error=None):
            return {
                "command_response": {"body": {}, "mimetype": "application/json", "http_status": status},
                "command_response_version": 2,
                "error": error,
                "spiff__logs": [],
            }


        class Fetch:
            def __init__(self, upstream_status: int = 200, error_code: str = ""):
                self.upstream_status = upstream_status
                self.error_code = error_code

            def execute(self, config, task_data):
                error = {"error_code": self.error_code, "message": "no"} if self.error_code else None
                return v2(self.upstream_status, error)


        class Crash:
            def execute(self, config, task_data):
                raise KeyError("not there")


        class Raise:
            def __init__(self, text: str):
                self.text = text

            def execute(self, config, task_data):
                raise ValueError(f"bad text: {self.text}")


        class Legacy:
            def execute(self, config, task_data):
                return {"response": "gone", "status": 410, "mimetype": "text/plain"}
    """,
}


@pytest.fixture(autouse=True)
def proxy(extra_connectors: AddConnectors, monkeypatch: pytest.MonkeyPatch) -> None:
    extra_connectors(CONNECTOR_LOGGED)
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", KEY)
    for name in ("AWS_LAMBDA_LOG_LEVEL", "AWS_LAMBDA_LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)


def request_records(frames: list[Frame]) -> list[Frame]:
    """The proxy's per-request records among everything logged."""
    return [frame for frame in frames if re.search(r"(GET|POST|HEAD) /", frame.message)]


def fetch(**params: object) -> None:
    answer = invoke("function-url", "POST", "/v1/do/logged/Fetch", body=params, headers=HEADERS)
    assert answer.status == 200


def test_json_format_gives_one_record_with_the_facts_as_fields() -> None:
    with runtime_logging("JSON") as captured:
        fetch(upstream_status=404, error_code="HttpError404")
        (frame,) = request_records(captured.frames())
    assert frame.frame_type == JSON_INFO  # Lambda's log-level filtering reads the frame type
    record = json.loads(frame.message)
    assert record["requestId"] == REQUEST_ID
    assert record["level"] == "INFO" and record["logger"] == "spiff_lambda_proxy"
    assert record["route"] == "/v1/do/{plugin}/{command}"
    assert record["command"] == "logged/Fetch"
    assert record["status"] == 200  # the HTTP status: the failure is inside the envelope
    assert record["error_code"] == "HttpError404"
    assert record["upstream_status"] == 404
    assert record["method"] == "POST" and record["path"] == "/v1/do/logged/Fetch"
    assert isinstance(record["duration_ms"], float) and record["duration_ms"] >= 0
    assert KEY not in frame.message


@pytest.mark.parametrize(("lambda_level", "frame_type"), [("", TEXT), ("INFO", TEXT_INFO)])
def test_text_format_gives_the_same_facts_on_one_line(
    lambda_level: str, frame_type: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", lambda_level)
    with runtime_logging("TEXT", lambda_level) as captured:
        fetch(upstream_status=503, error_code="HttpError503")
        (frame,) = request_records(captured.frames())
    assert frame.frame_type == frame_type
    level, timestamp, request_id, message = frame.message.rstrip("\n").split("\t")
    assert (level, request_id) == ("[INFO]", REQUEST_ID)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", timestamp)
    assert message.startswith("POST /v1/do/logged/Fetch -> 200 ")
    facts = dict(pair.split("=", 1) for pair in message.split(" ")[4:])
    assert facts["command"] == "logged/Fetch"
    assert facts["error_code"] == "HttpError503"
    assert facts["upstream_status"] == "503"
    assert facts["route"] == "/v1/do/{plugin}/{command}"
    assert float(facts["duration_ms"]) >= 0


def test_a_successful_command_has_no_error_code() -> None:
    with runtime_logging("JSON") as captured:
        fetch(upstream_status=201)
        record = json.loads(request_records(captured.frames())[0].message)
    assert "error_code" not in record  # None fields are left out by Lambda's formatter
    assert record["upstream_status"] == 201


@pytest.mark.parametrize(
    ("path", "headers", "status", "error_code", "command"),
    [
        ("/v1/do/logged/Fetch", {}, 401, "unauthorized", None),
        ("/v1/do/logged/Nope", HEADERS, 404, "command_not_found", None),
        ("/v1/do/logged/Legacy", HEADERS, 410, "HttpError410", "logged/Legacy"),
    ],
)
def test_failures_before_and_around_commands_are_named(
    path: str, headers: dict[str, str], status: int, error_code: str, command: str | None
) -> None:
    with runtime_logging("JSON") as captured:
        answer = invoke("function-url", "POST", path, body={}, headers=headers)
        record = json.loads(request_records(captured.frames())[0].message)
    assert answer.status == status == record["status"]
    assert record["error_code"] == error_code
    assert record.get("command") == command
    assert record["route"] == "/v1/do/{plugin}/{command}"


def test_a_crashing_command_gives_an_error_record() -> None:
    with runtime_logging("JSON") as captured:
        answer = invoke("function-url", "POST", "/v1/do/logged/Crash", body={}, headers=HEADERS)
        frames = captured.frames()
    assert answer.status == 500
    (frame,) = request_records(frames)
    record = json.loads(frame.message)
    assert frame.frame_type == JSON_ERROR and record["level"] == "ERROR"
    assert (record["command"], record["error_code"]) == ("logged/Crash", "KeyError")
    assert all(KEY not in each.message for each in frames)


def test_hostile_input_cannot_break_the_line_or_grow_it() -> None:
    with runtime_logging("TEXT") as captured:
        fetch(upstream_status=502, error_code="Bad\nERROR forged line\t" + "x" * 5000)
        invoke("function-url", "GET", "/v1/do/logged/Fetch\n[ERROR]\tforged", headers=HEADERS)
        records = request_records(captured.frames())
    assert len(records) == 2
    for frame in records:
        assert frame.message.rstrip("\n").count("\n") == 0
        assert frame.message.count("\t") == 3  # the runtime's own three separators only
    code = re.search(r"error_code=(\S+)", records[0].message)
    # Shown escaped, the space that would start a forged field replaced, cut to 100 characters.
    assert code and code.group(1).startswith("Bad\\nERROR_forged_line\\txxx")
    assert len(code.group(1)) <= 100 + 2
    assert "GET /v1/do/logged/Fetch\\n[ERROR]\\tforged -> 404" in records[1].message


# What can break or disguise a line: C0 and C1 controls, line and paragraph separators, a bidi override.
HOSTILE = "a\r\nb\x1b[31mc\x85d\u2028e\u2029f\u202eg\x00h"
SHOWN = "a\\r\\nb\\x1b[31mc\\x85d\\u2028e\\u2029f\\u202eg\\x00h"


@pytest.mark.parametrize("log_format", ["TEXT", "JSON"])
def test_control_characters_show_escaped_in_both_formats(log_format: str) -> None:
    with runtime_logging(log_format) as captured:
        fetch(upstream_status=500, error_code=HOSTILE)
        (frame,) = request_records(captured.frames())
    text = frame.message.rstrip("\n")
    assert not any(char in text for char in "\r\x1b\x85\u2028\u2029\u202e\x00") and "\n" not in text
    if log_format == "JSON":
        record = json.loads(text)
        assert record["error_code"] == SHOWN
        assert SHOWN in record["message"]
    else:
        assert f"error_code={SHOWN} " in text


@pytest.mark.parametrize("log_format", ["TEXT", "JSON"])
def test_an_exceptions_message_is_escaped_and_its_traceback_kept(log_format: str) -> None:
    with runtime_logging(log_format) as captured:
        body = {"text": HOSTILE}
        answer = invoke("function-url", "POST", "/v1/do/logged/Raise", body=body, headers=HEADERS)
        frames = [frame for frame in captured.frames() if "logged/Raise raised" in frame.message]
    assert answer.status == 500
    (frame,) = frames
    assert not any(char in frame.message for char in "\r\x1b\x85\u2028\u2029\u202e\x00")
    if log_format == "JSON":
        record = json.loads(frame.message)
        assert record["errorType"] == "ValueError"
        assert record["errorMessage"] == f"bad text: {SHOWN}"
        assert any("calls.py" in line for line in record["stackTrace"])
    else:
        lines = frame.message.rstrip("\n").split("\n")
        assert lines[1] == "Traceback (most recent call last):"
        assert lines[-1] == f"ValueError: bad text: {SHOWN}"  # the traceback's own lines, and no more


def test_one_record_per_request_whatever_the_route() -> None:
    with runtime_logging("JSON") as captured:
        invoke("function-url", "GET", "/v1/commands", headers=HEADERS)
        invoke("function-url", "GET", "/nowhere")
        records = [json.loads(frame.message) for frame in request_records(captured.frames())]
    assert [(r["path"], r["status"], r.get("route")) for r in records] == [
        ("/v1/commands", 200, "/v1/commands"),
        ("/nowhere", 404, None),
    ]
    assert records[1]["error_code"] == "not_found"


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "INFO"),
        ({"AWS_LAMBDA_LOG_LEVEL": "WARN"}, "WARNING"),
        ({"AWS_LAMBDA_LOG_LEVEL": "TRACE"}, "DEBUG"),
        ({"AWS_LAMBDA_LOG_LEVEL": "FATAL"}, "CRITICAL"),
        ({"AWS_LAMBDA_LOG_LEVEL": "ERROR", "CONNECTOR_PROXY_LOG_LEVEL": "debug"}, "DEBUG"),
        ({"AWS_LAMBDA_LOG_LEVEL": "DEBUG", "CONNECTOR_PROXY_LOG_LEVEL": "WARN"}, "WARNING"),
        ({"AWS_LAMBDA_LOG_LEVEL": "ERROR", "CONNECTOR_PROXY_LOG_LEVEL": "chatty"}, "ERROR"),
        ({"CONNECTOR_PROXY_LOG_LEVEL": " "}, "INFO"),
    ],
)
def test_the_log_level_precedence(environment: dict[str, str], expected: str) -> None:
    assert log_level(environment) == expected
    assert Settings.from_environ(environment).log_level == expected


def test_lambdas_level_quiets_the_record_and_the_proxys_own_setting_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", "WARN")
    with runtime_logging("JSON", "WARN") as captured:
        fetch()
        assert request_records(captured.frames()) == []
        monkeypatch.setenv("CONNECTOR_PROXY_LOG_LEVEL", "INFO")
        fetch()
        assert len(request_records(captured.frames())) == 1


def test_the_request_id_comes_from_the_context_outside_lambda(caplog: pytest.LogCaptureFixture) -> None:
    context = lambda_context()
    with caplog.at_level("INFO", logger="spiff_lambda_proxy"):
        invoke("function-url", "GET", "/liveness", context=context)
    (record,) = [r for r in caplog.records if hasattr(r, "duration_ms")]
    assert record.__dict__["aws_request_id"] == context.aws_request_id
    assert record.getMessage().endswith(f"aws_request_id={context.aws_request_id}")
