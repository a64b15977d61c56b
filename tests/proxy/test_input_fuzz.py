"""Property-based attacks on the input: mutated real events and bodies broken at every level.

Hypothesis mutates the AWS samples in tests/events (any field, at any depth,
replaced by a value of another JSON type) and the JSON bodies of commands. The
function must always answer: a dict Lambda can serialise, never a 500, and a
changed answer must be a 4xx whose error names what was broken. Runs are
bounded (max_examples, no deadline) so they add seconds. Behind the socket
tripwire with every destination denied, nothing is ever sent anywhere.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.lambda_events import EVENTS_DIR, invoke, lambda_context
from support.sample_connectors import CONNECTOR_SAMPLE
from support.tripwire import Tripwire

import lambda_function
from spiff_lambda_proxy.registry import Registry

SAMPLES = sorted(path.name for path in EVENTS_DIR.glob("*.json"))
BOUNDED = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))

Path = tuple[str | int, ...]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**64), 2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@pytest.fixture(autouse=True)
def nothing_leaves(tripwire: Tripwire, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HTTP_CONNECTOR_DENIED_HOSTS", "*")
    yield


@pytest.fixture
def sample(extra_connectors: Callable[[dict[str, str]], Registry]) -> Registry:
    return extra_connectors(CONNECTOR_SAMPLE)


@cache
def load(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text())
    return event


def paths(value: Any, prefix: Path = ()) -> list[Path]:
    found: list[Path] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def replaced(event: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    event = copy.deepcopy(event)
    target: Any = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return event


def kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def handle(event: dict[str, Any]) -> tuple[int, str]:
    raw = lambda_function.lambda_handler(event, lambda_context())
    assert isinstance(raw, dict)
    json.dumps(raw)  # what the runtime does with it
    assert isinstance(raw["statusCode"], int) and isinstance(raw["body"], str)
    assert raw["statusCode"] < 500, raw
    return raw["statusCode"], raw["body"]


@BOUNDED
@given(data=st.data())
def test_a_field_of_another_type_anywhere_in_a_real_event(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(SAMPLES), label="sample")
    event = load(name)
    baseline = handle(copy.deepcopy(event))
    path = data.draw(st.sampled_from(paths(event)), label="path")
    old = _at(event, path)
    new = data.draw(
        json_values.filter(lambda value: value is not None and kind(value) != kind(old)), label="new"
    )
    status, body = handle(replaced(event, path, new))
    if (status, body) == baseline:
        return  # a field the proxy does not read
    assert 400 <= status < 500, (status, body)
    error = json.loads(body)["error"]
    names = [str(part) for part in path if isinstance(part, str)]
    assert any(part in error["message"] for part in names), (path, error)


@BOUNDED
@given(data=st.data())
def test_any_value_anywhere_never_breaks_the_answer(data: st.DataObject) -> None:
    event = load(data.draw(st.sampled_from(SAMPLES), label="sample"))
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        path = data.draw(st.sampled_from(paths(event) or [("body",)]), label="path")
        event = replaced(event, path, data.draw(json_values, label="new"))
    handle(event)


def _at(event: Any, path: Path) -> Any:
    for key in path:
        event = event[key]
    return event


HTTP_COMMANDS = [
    "GetRequestV2",
    "PostRequestV2",
    "DeleteRequestV2",
    "HeadRequestV2",
    "GetRequest",
    "PostRequest",
]
HTTP_ARGUMENTS = [
    "url",
    "headers",
    "params",
    "data",
    "basic_auth_username",
    "basic_auth_password",
    "attempts",
    "body_format",
    "include_response_headers",
]
url_like = st.one_of(
    st.text(max_size=30),
    st.builds(lambda host, rest: f"http://{host}/{rest}", st.text(max_size=20), st.text(max_size=10)),
    st.sampled_from(
        ["http://a..b/", "https://" + "x" * 64 + ".t/", "http://[::1", "http://0/", "http://u:p@h:1/"]
    ),
)


@BOUNDED
@given(
    command=st.sampled_from(HTTP_COMMANDS),
    arguments=st.dictionaries(st.sampled_from(HTTP_ARGUMENTS), json_values, max_size=6),
    url=url_like | json_values,
    reserved=st.dictionaries(
        st.sampled_from(["spiff__task_data", "spiff__callback_url", "spiff__x"]), json_values
    ),
    source=st.sampled_from(["function-url", "rest-api", "alb"]),
)
def test_http_command_arguments_of_any_shape(
    command: str, arguments: dict[str, Any], url: Any, reserved: dict[str, Any], source: str
) -> None:
    body = {"url": url, **arguments, **reserved}
    answer = invoke(source, "POST", f"/v1/do/http/{command}", body=body)
    assert answer.status < 500, answer
    payload = answer.json
    if answer.status == 400 and "command_response" in payload and payload["command_response"] == {}:
        assert payload["error"]["error_code"] in ("invalid_parameters", "bad_request"), payload
        return
    error = payload.get("error") or payload.get("response", {}).get("error")
    assert error is not None, payload  # every destination is denied: nothing can succeed
    assert error["error_code"] in ("InvalidArgument", "DestinationNotAllowed"), error
    if error["error_code"] == "InvalidArgument" and error["message"].startswith("Argument "):
        named = error["message"].split("'")[1]
        assert named in body, error


@BOUNDED
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode), base64=st.booleans())
def test_any_body_bytes(raw: bytes, base64: bool, sample: Registry) -> None:
    for path in ("/v1/do/sample/Echo", "/v1/do/http/GetRequestV2"):
        answer = invoke("function-url", "POST", path, body=raw, base64_body=True) if base64 else None
        if answer is None:
            try:
                text = raw.decode()
            except UnicodeDecodeError:
                continue
            answer = invoke("function-url", "POST", path, body=text)
        assert answer.status < 500, answer
        json.loads(answer.body)


@BOUNDED
@given(depth=st.integers(1, 600), kinds=st.text(alphabet="[{", min_size=1, max_size=5))
def test_nesting_of_any_depth(depth: int, kinds: str, sample: Registry) -> None:
    opening = "".join(
        kinds[i % len(kinds)] if kinds[i % len(kinds)] == "[" else '{"k":' for i in range(depth)
    )
    closing = "".join("]" if kinds[i % len(kinds)] == "[" else "}" for i in reversed(range(depth)))
    body = '{"message": "m", "spiff__task_data": {"t": ' + opening + "1" + closing + "}}"
    answer = invoke("function-url", "POST", "/v1/do/sample/Echo", body=body)
    assert answer.status in (200, 400), answer
    if answer.status == 400:
        assert answer.json["error"]["error_code"] == "invalid_json"
