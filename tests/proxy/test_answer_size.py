"""Answer size as Lambda counts it: the whole answer object, serialised as the runtime serialises it.

Each test builds the real answer through `lambda_handler` and measures it with
`json.dumps` of the whole answer dict, as the Python runtime sends it: what the
proxy delivers must fit its front door's limit (ALB 1 MB, the others 6 MiB),
and what would not is answered `ResponseTooLarge` instead of a platform error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from support.lambda_events import SOURCES, Answer, invoke

from spiff_lambda_proxy import answer_size
from spiff_lambda_proxy.registry import Registry

LAMBDA_LIMIT = 6 * 1024 * 1024
ALB_LIMIT = 1_000_000
LIMITS = {source: ALB_LIMIT if source.startswith("alb") else LAMBDA_LIMIT for source in SOURCES}

CONNECTOR_SIZED = {
    "connector_sized/__init__.py": "",
    "connector_sized/commands/__init__.py": "",
    "connector_sized/commands/sized.py": """
        class Text:
            '''A v1 text answer: the body travels as the answer's string.'''
            def __init__(self, size: int, char: str = "x", mimetype: str = "text/plain"):
                self.text = char * size
                self.mimetype = mimetype

            def execute(self, config, task_data):
                return {"response": self.text, "status": 200, "mimetype": self.mimetype}


        class Blob:
            '''A binary v1 answer: it travels as base64.'''
            def __init__(self, size: int):
                self.size = size

            def execute(self, config, task_data):
                blob = b"\\xff" * self.size
                return {"response": blob, "status": 200, "mimetype": "application/octet-stream"}


        class Envelope:
            '''A v2 envelope: JSON inside the answer's body string, escaped once more.'''
            def __init__(self, size: int, char: str = "x"):
                self.text = char * size

            def execute(self, config, task_data):
                return {"command_response": {"body": {"text": self.text}, "mimetype": "application/json",
                        "http_status": 200}, "command_response_version": 2, "error": None, "spiff__logs": []}
    """,
}


@pytest.fixture
def sized(extra_connectors: Callable[[dict[str, str]], Registry]) -> Registry:
    return extra_connectors(CONNECTOR_SIZED)


def run(command: str, source: str = "function-url", **arguments: Any) -> Answer:
    return invoke(source, "POST", f"/v1/do/sized/{command}", body=arguments)


def runtime_size(answer: Answer, ensure_ascii: bool = True) -> int:
    """What the Python runtime sends: json.dumps of the whole answer (UTF-8 from python3.12 on)."""
    return len(json.dumps(answer.raw, ensure_ascii=ensure_ascii).encode())


def too_large(answer: Answer) -> str:
    assert answer.status == 500, answer
    error = answer.json["error"]
    assert error["error_code"] == "ResponseTooLarge"
    message: str = error["message"]
    return message


@pytest.mark.parametrize("source", SOURCES)
def test_the_limit_is_exact_for_every_front_door(sized: Registry, source: str) -> None:
    limit = LIMITS[source]
    probe = run("Text", source, size=1000)
    largest = 1000 + limit - runtime_size(probe)
    fits = run("Text", source, size=largest)
    assert fits.status == 200 and runtime_size(fits) == limit
    message = too_large(run("Text", source, size=largest + 1))
    assert f"would be {limit + 1} bytes as Lambda sends it" in message
    assert f"delivers at most {limit}" in message


def test_json_inside_the_answer_is_counted_escaped_again(sized: Registry) -> None:
    # 1.6 M quotes: 3.2 MB of envelope, 6.4 MB once the answer escapes it again.
    message = too_large(run("Envelope", size=1_600_000, char='"'))
    assert "a JSON body is escaped again" in message
    fits = run("Envelope", size=1_400_000, char='"')
    assert fits.status == 200 and runtime_size(fits) <= LAMBDA_LIMIT
    assert fits.json["command_response"]["body"]["text"] == '"' * 1_400_000


def test_binary_answers_are_counted_as_base64(sized: Registry) -> None:
    too_large(run("Blob", size=4_800_000))  # 6.4 MB of base64
    fits = run("Blob", size=4 * 1024 * 1024)
    assert fits.raw["isBase64Encoded"] is True and runtime_size(fits) <= LAMBDA_LIMIT


@pytest.mark.parametrize(
    ("runtime", "delivered"),
    [
        ("AWS_Lambda_python3.13", True),
        ("AWS_Lambda_python3.12", True),
        ("AWS_Lambda_python3.11", False),
        ("", False),
    ],
)
def test_non_ascii_is_counted_as_the_runtime_writes_it(
    sized: Registry, monkeypatch: pytest.MonkeyPatch, runtime: str, delivered: bool
) -> None:
    # 1.5 M "é": 3 MB as UTF-8 (python3.12 and later), 9 MB as \\u00e9 escapes (before).
    monkeypatch.setenv("AWS_EXECUTION_ENV", runtime)
    answer = run("Text", size=1_500_000, char="é")
    if delivered:
        assert answer.status == 200 and runtime_size(answer, ensure_ascii=False) <= LAMBDA_LIMIT
    else:
        too_large(answer)


def test_an_alb_answer_over_1_mb_says_what_to_do(sized: Registry) -> None:
    for source in ("alb", "alb-multi"):
        message = too_large(run("Text", source, size=1_200_000))
        assert "An Application Load Balancer accepts at most 1 MB" in message
        assert "aws/S3PresignUrl" in message
    assert run("Text", "function-url", size=1_200_000).status == 200


def test_the_refusal_keeps_cors_headers(sized: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_CORS_ORIGINS", "https://spiff.example")
    answer = invoke(
        "function-url",
        "POST",
        "/v1/do/sized/Text",
        body={"size": 7_000_000},
        headers={"Origin": "https://spiff.example"},
    )
    too_large(answer)
    assert answer.headers["access-control-allow-origin"] == "https://spiff.example"


@pytest.mark.parametrize("character", ["a", '"', "\x01", "é", "€", "😀", "\ud800"])
@pytest.mark.parametrize("runtime", ["AWS_Lambda_python3.11", "AWS_Lambda_python3.13"])
def test_an_answer_not_measured_because_small_cannot_be_over_the_limit(
    character: str, runtime: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Most answers are not serialised to be measured: their body could not reach the limit however
    it is escaped. The largest body skipped that way, of the most expensive characters, still fits."""
    monkeypatch.setenv("AWS_EXECUTION_ENV", runtime)
    limit = 1_000_000
    skipped = (limit - answer_size._ANSWER_FRAME) // answer_size._WORST_ESCAPING

    def answer(body: str) -> dict[str, Any]:
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": body}

    assert answer_size.serialised_size(answer(character * skipped), limit) == 0
    assert answer_size.serialised_size(answer(character * skipped)) <= limit
    # One more character: measured.
    assert answer_size.serialised_size(answer(character * (skipped + 1)), limit) > 0
