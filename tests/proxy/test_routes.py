"""Every route and every bad input, through `lambda_handler`, from every front door."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import pytest
from support.lambda_events import SOURCES, invoke, lambda_context
from support.sample_connectors import CONNECTOR_SAMPLE

from spiff_lambda_proxy.registry import Registry


@pytest.fixture
def sample(extra_connectors: Callable[[dict[str, str]], Registry]) -> Registry:
    return extra_connectors(CONNECTOR_SAMPLE)


def error_of(answer: object) -> dict[str, str]:
    body = answer.json  # type: ignore[attr-defined]
    assert body["command_response"] == {}
    assert set(body["error"]) == {"error_code", "message"}
    return body["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("source", SOURCES)
class TestRoutes:
    def test_index_says_what_this_is(self, source: str, sample: Registry) -> None:
        answer = invoke(source, "GET", "/")
        assert answer.status == 200
        assert answer.headers["content-type"].startswith("text/plain")
        assert "SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_URL" in answer.text
        assert "sample" in answer.text

    @pytest.mark.parametrize("path", ["/liveness", "/v1/liveness", "/liveness/", "/v1/liveness/"])
    def test_liveness(self, source: str, path: str) -> None:
        answer = invoke(source, "GET", path)
        assert (answer.status, answer.json) == (200, {"ok": True})
        assert answer.headers["content-type"] == "application/json"

    def test_commands_lists_descriptions(self, source: str, sample: Registry) -> None:
        answer = invoke(source, "GET", "/v1/commands/")
        assert answer.status == 200
        described = {item["id"]: item["parameters"] for item in answer.json}
        assert described["sample/Echo"] == [
            {"id": "message", "type": "str", "required": True},
            {"id": "times", "type": "int", "required": False},
        ]
        assert "sample/NotACommand" not in described
        assert "sample/SampleOAuth" not in described

    def test_auths_lists_auths(self, source: str, sample: Registry) -> None:
        answer = invoke(source, "GET", "/v1/auths")
        assert answer.status == 200
        assert answer.json == [
            {
                "id": "sample/SampleOAuth",
                "parameters": [
                    {"id": "client_id", "type": "str", "required": True},
                    {"id": "scope", "type": "str", "required": False},
                ],
            }
        ]

    def test_do_runs_a_v2_command(self, source: str, sample: Registry) -> None:
        answer = invoke(
            source,
            "POST",
            "/v1/do/sample/Echo",
            body={
                "message": "hi",
                "times": 2,
                "spiff__task_data": {"x": 1},
                "spiff__process_instance_id": 7,
                "spiff__task_id": "abc",
                "spiff__process_model_identifier": "group/model",
            },
        )
        assert answer.status == 200
        assert answer.json == {
            "command_response": {
                "body": {"echo": "hihi", "task_data": {"x": 1}},
                "mimetype": "application/json",
                "http_status": 200,
            },
            "command_response_version": 2,
            "error": None,
            "spiff__logs": [],
        }

    def test_do_accepts_get_with_query_parameters(self, source: str, sample: Registry) -> None:
        answer = invoke(source, "GET", "/v1/do/sample/Echo/", query={"message": "q"})
        assert answer.status == 200
        assert answer.json["command_response"]["body"]["echo"] == "q"

    def test_base64_body(self, source: str, sample: Registry) -> None:
        answer = invoke(source, "POST", "/v1/do/sample/Echo", body={"message": "b64"}, base64_body=True)
        assert answer.status == 200
        assert answer.json["command_response"]["body"]["echo"] == "b64"

    def test_v1_result_keeps_status_and_mimetype(self, source: str, sample: Registry) -> None:
        answer = invoke(
            source, "POST", "/v1/do/sample/LegacyText", body={"text": "plain words", "status": 418}
        )
        assert answer.status == 418
        assert answer.text == "plain words"
        assert answer.headers["content-type"] == "text/plain"
        answer = invoke(source, "POST", "/v1/do/sample/LegacyDict")
        assert (answer.status, answer.json) == (201, {"ok": True})

    def test_unknown_path_is_404(self, source: str) -> None:
        answer = invoke(source, "GET", "/v2/commands")
        assert answer.status == 404
        assert error_of(answer)["error_code"] == "not_found"

    def test_wrong_method_is_405_with_allow(self, source: str) -> None:
        answer = invoke(source, "DELETE", "/v1/commands")
        assert answer.status == 405
        assert answer.headers["allow"] == "GET, HEAD"
        assert error_of(answer)["error_code"] == "method_not_allowed"
        answer = invoke(source, "PUT", "/v1/do/sample/Echo")
        assert answer.status == 405
        assert answer.headers["allow"] == "GET, HEAD, POST"

    def test_unknown_command_is_404(self, source: str, sample: Registry) -> None:
        answer = invoke(source, "POST", "/v1/do/sample/Nope", body={})
        assert answer.status == 404
        assert error_of(answer)["error_code"] == "command_not_found"
        answer = invoke(source, "POST", "/v1/do/noplugin/Echo", body={})
        assert error_of(answer)["error_code"] == "command_not_found"

    def test_body_not_json(self, source: str, sample: Registry) -> None:
        answer = invoke(source, "POST", "/v1/do/sample/Echo", body="{not json")
        assert answer.status == 400
        error = error_of(answer)
        assert error["error_code"] == "invalid_json"
        assert "not valid JSON" in error["message"]

    @pytest.mark.parametrize(("body", "kind"), [("[1, 2]", "array"), ('"text"', "string"), ("3", "number")])
    def test_body_not_an_object(self, source: str, sample: Registry, body: str, kind: str) -> None:
        answer = invoke(source, "POST", "/v1/do/sample/Echo", body=body)
        assert answer.status == 400
        assert error_of(answer)["message"].endswith(f"not a JSON {kind}.")

    def test_missing_and_unknown_parameters_are_named(self, source: str, sample: Registry) -> None:
        answer = invoke(source, "POST", "/v1/do/sample/Echo", body={"mesage": "typo"})
        assert answer.status == 400
        error = error_of(answer)
        assert error["error_code"] == "invalid_parameters"
        assert error["message"] == (
            "sample/Echo: missing required parameter(s): message; unknown parameter(s): mesage. "
            "It accepts: message, times."
        )

    def test_command_that_raises_is_500_without_trace(
        self, source: str, sample: Registry, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.ERROR):
            answer = invoke(source, "POST", "/v1/do/sample/Explode", body={})
        assert answer.status == 500
        assert error_of(answer) == {"error_code": "RuntimeError", "message": "the upstream said no"}
        assert "Traceback" not in answer.text
        assert "Traceback" in caplog.text  # the operator still gets it

    @pytest.mark.parametrize("command", ["ReturnsNonsense", "ReturnsUnencodable"])
    def test_invalid_result_is_500(self, source: str, sample: Registry, command: str) -> None:
        answer = invoke(source, "POST", f"/v1/do/sample/{command}", body={})
        assert answer.status == 500
        error = error_of(answer)
        assert error["error_code"] == "invalid_command_result"
        assert f"sample/{command}" in error["message"]

    def test_body_over_the_limit_is_413(
        self, source: str, sample: Registry, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CONNECTOR_PROXY_MAX_BODY_BYTES", "100")
        answer = invoke(source, "POST", "/v1/do/sample/Echo", body={"message": "x" * 200})
        assert answer.status == 413
        assert error_of(answer)["error_code"] == "payload_too_large"
        assert invoke(source, "POST", "/v1/do/sample/Echo", body={"message": "x"}).status == 200

    def test_head_answers_without_body(self, source: str) -> None:
        answer = invoke(source, "HEAD", "/v1/liveness")
        assert (answer.status, answer.body) == (200, b"")


@pytest.mark.parametrize("event", [{}, {"hello": "world"}, [], "text", None, {"requestContext": {}}])
def test_unrecognised_event_gets_a_clear_answer(event: object) -> None:
    import lambda_function

    answer = lambda_function.lambda_handler(event, lambda_context())
    assert answer["statusCode"] == 400
    error = json.loads(answer["body"])["error"]
    assert error["error_code"] == "unrecognised_event"
    assert "Function URL" in error["message"]


def test_config_mapping_answers_environment_settings(
    sample: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAMPLE_SETTING", "from-env")
    answer = invoke("function-url", "POST", "/v1/do/sample/ReadConfig", body={"name": "SAMPLE_SETTING"})
    assert answer.json["command_response"]["body"] == {"value": "from-env", "has_missing": False}
    answer = invoke(
        "function-url", "POST", "/v1/do/sample/ReadConfig", body={"name": "SURELY_NOT_SET_ANYWHERE"}
    )
    assert (answer.status, error_of(answer)["error_code"]) == (500, "KeyError")


def test_optional_parameter_without_default_may_be_left_out(sample: Registry) -> None:
    answer = invoke("function-url", "POST", "/v1/do/sample/OptionalWithoutDefault", body={})
    assert answer.status == 200
    assert answer.json["command_response"]["body"] == {"maybe": None}


def test_kwargs_command_takes_extra_parameters(sample: Registry) -> None:
    answer = invoke("function-url", "POST", "/v1/do/sample/TakesKwargs", body={"a": 1, "b": 2})
    assert answer.json["command_response"]["body"] == {"extra": ["a", "b"]}


def test_task_data_must_be_an_object(sample: Registry) -> None:
    answer = invoke(
        "function-url", "POST", "/v1/do/sample/Echo", body={"message": "m", "spiff__task_data": [1]}
    )
    assert answer.status == 400
    assert error_of(answer)["error_code"] == "invalid_parameters"


def test_execute_async_with_callback_answers_202(sample: Registry) -> None:
    answer = invoke(
        "function-url",
        "POST",
        "/v1/do/sample/LongRunning",
        body={"job": "j1", "spiff__callback_url": "https://spiff.example/callback/1"},
    )
    assert answer.status == 202
    assert answer.json["command_response"]["body"] == {
        "started": "j1",
        "callback_url": "https://spiff.example/callback/1",
    }


def test_execute_async_without_callback_runs_synchronously(sample: Registry) -> None:
    answer = invoke("function-url", "POST", "/v1/do/sample/LongRunning", body={"job": "j1"})
    assert answer.status == 200
    assert answer.json["command_response"]["body"] == {"ran": "sync"}


def test_answer_over_lambda_limit_is_an_error_not_a_crash(
    extra_connectors: Callable[[dict[str, str]], Registry],
) -> None:
    extra_connectors(
        {
            "connector_big/__init__.py": "",
            "connector_big/commands/__init__.py": "",
            "connector_big/commands/big.py": """
                class Huge:
                    def execute(self, config, task_data):
                        return {"response": "x" * (7 * 1024 * 1024), "status": 200, "mimetype": "text/plain"}
            """,
        }
    )
    answer = invoke("function-url", "POST", "/v1/do/big/Huge")
    assert answer.status == 500
    assert error_of(answer)["error_code"] == "ResponseTooLarge"


@pytest.mark.parametrize(
    ("source", "budget"), [("function-url", 9.0), ("alb", 9.0), ("http-api", 9.0), ("rest-api", 9.0)]
)
def test_commands_learn_their_deadline(source: str, budget: float, sample: Registry) -> None:
    before = time.time()
    answer = invoke(source, "POST", "/v1/do/sample/ReadDeadline", context=lambda_context(remaining_ms=10_000))
    deadline = answer.json["command_response"]["body"]["deadline"]
    # 10 s left, minus the margin kept for answering.
    assert before + budget - 0.5 <= deadline <= time.time() + budget


def test_api_gateway_and_spiffarenas_wait_cap_the_deadline(
    sample: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    def deadline_of(source: str) -> float:
        answer = invoke(
            source, "POST", "/v1/do/sample/ReadDeadline", context=lambda_context(remaining_ms=300_000)
        )
        return float(answer.json["command_response"]["body"]["deadline"])

    before = time.time()
    assert deadline_of("rest-api") <= before + 29
    # A function timeout of 5 minutes does not make SpiffArena wait longer than ~45 s.
    assert before + 38.5 <= deadline_of("function-url") <= time.time() + 39
    monkeypatch.setenv("CONNECTOR_PROXY_SYNC_TIMEOUT_SECONDS", "0")
    assert deadline_of("function-url") >= before + 298
    monkeypatch.setenv("CONNECTOR_PROXY_SYNC_TIMEOUT_SECONDS", "soon")
    answer = invoke("function-url", "POST", "/v1/do/sample/ReadDeadline")
    assert (answer.status, answer.json["error"]["error_code"]) == (500, "configuration_error")
