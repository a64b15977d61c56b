"""`GET /v1/typeahead/<category>` through `lambda_handler`, from every front door, and every bad input."""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.lambda_events import SOURCES, Answer, invoke
from support.paths import PROJECT_ROOT
from support.typeahead_lists import serving_lists, write_lists

from spiff_lambda_proxy.auth import API_KEY_HEADER
from spiff_lambda_proxy.typeahead.query import MAX_LIMIT

KEY = "typeahead-test-key-5e1f"
pytestmark = pytest.mark.usefixtures("lists")


def lookup(source: str, category: str, **query: str) -> Answer:
    return invoke(source, "GET", f"/v1/typeahead/{category}", query=query)


def names(answer: Answer) -> list[str]:
    assert answer.status == 200, answer
    assert answer.headers["content-type"] == "application/json"
    return [record["name"] for record in answer.json]


def error_code(answer: Answer) -> str:
    body = answer.json
    assert body["command_response"] == {} and set(body["error"]) == {"error_code", "message"}
    return str(body["error"]["error_code"])


def basic(password: str, user: str = "spiff") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.mark.parametrize("source", SOURCES)
class TestEveryFrontDoor:
    def test_cities_in_the_references_shape_sorted_by_name_then_state(self, source: str) -> None:
        answer = lookup(source, "cities", prefix="san", limit="100")
        assert answer.json == [
            {"name": "San Francisco", "state": "California", "country": "United States"},
            {"name": "San Francisco", "state": "Cordoba", "country": "Argentina"},
            {"name": "Santa Ana", "state": "California", "country": "United States"},
        ]

    def test_case_is_ignored_and_limit_counts(self, source: str) -> None:
        assert names(lookup(source, "cities", prefix="SAN F", limit="1")) == ["San Francisco"]
        assert names(lookup(source, "countries", prefix="united")) == ["United Kingdom", "United States"]

    def test_unicode_case_folding_also_through_percent_encoding(self, source: str) -> None:
        # The ALB hands the query over still percent-encoded; every door gives the same answer.
        assert lookup(source, "states", prefix="cÓR").json == [{"name": "Córdoba", "country": "Argentina"}]

    def test_percent_and_underscore_are_characters_not_wildcards(self, source: str) -> None:
        assert names(lookup(source, "customers", prefix="100%")) == ["100% Organic"]
        assert names(lookup(source, "customers", prefix="a_")) == ["a_b"]
        assert names(lookup(source, "customers", prefix="acme l")) == ["acme labs"]

    def test_missing_prefix_and_limit_mean_the_first_records(self, source: str) -> None:
        assert names(invoke(source, "GET", "/v1/typeahead/countries")) == [
            "United Kingdom",
            "United States",
            "Uruguay",
        ]

    @pytest.mark.parametrize("limit", ["0", "-1", "1.5", "abc", "", " 3", "1e3", "\uff15", "0x10"])
    def test_a_limit_that_is_not_a_positive_whole_number_is_a_400(self, source: str, limit: str) -> None:
        answer = lookup(source, "cities", prefix="s", limit=limit)
        assert answer.status == 400, answer
        assert error_code(answer) == "invalid_limit"
        assert str(MAX_LIMIT) in answer.json["error"]["message"]

    @pytest.mark.parametrize("limit", ["5000", "9" * 5000, "0007"])
    def test_large_limits_are_capped(self, source: str, limit: str) -> None:
        assert len(names(lookup(source, "cities", prefix="", limit=limit))) == 3

    @pytest.mark.parametrize(
        "prefix",
        [
            "%",
            "%%%",
            "_",
            "*",
            "\\",
            "'; DROP TABLE cities; --",
            "\x00",
            "\x01\x1f\x7f",
            "\u202e",
            "a" * 20000,
        ],
    )
    def test_hostile_prefixes_match_nothing_and_never_fail(self, source: str, prefix: str) -> None:
        assert lookup(source, "cities", prefix=prefix).json == []

    @pytest.mark.parametrize(
        "category", ["nope", "..", "...", "cities.typeahead", "catalogue.json", "Cities"]
    )
    def test_an_unknown_category_is_a_404_listing_those_there_are(self, source: str, category: str) -> None:
        answer = lookup(source, category, prefix="s")
        assert answer.status == 404, answer
        assert error_code(answer) == "unknown_category"
        assert "cities, countries, customers, states" in answer.json["error"]["message"]

    def test_other_methods_and_head(self, source: str) -> None:
        answer = invoke(source, "POST", "/v1/typeahead/cities", query={"prefix": "s"})
        assert answer.status == 405 and answer.headers["allow"] == "GET, HEAD"
        head = invoke(source, "HEAD", "/v1/typeahead/cities", query={"prefix": "s"})
        assert (head.status, head.body) == (200, b"")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/typeahead/..%2F..%2Fsecret",
        "/v1/typeahead/..%2Fsecret.csv",
        "/v1/typeahead/%2e%2e%2fsecret",
        "/v1/typeahead/cities%00",
        "/v1/typeahead/..%5Csecret",
        "/v1/typeahead/%2Fetc%2Fpasswd",
    ],
)
@pytest.mark.parametrize("source", SOURCES)
def test_traversal_never_reads_outside_the_lists(source: str, path: str, tmp_path: Path) -> None:
    (tmp_path / "secret.csv").write_text("name\nTOP-SECRET\n")
    answer = invoke(source, "GET", path, query={"prefix": ""})
    assert answer.status == 404, answer
    assert "TOP-SECRET" not in answer.text


def test_a_path_with_more_segments_is_no_category() -> None:
    assert invoke("function-url", "GET", "/v1/typeahead/cities/extra").status == 404


def test_a_named_stage_is_stripped() -> None:
    answer = invoke("http-api", "GET", "/v1/typeahead/cities", query={"prefix": "santa"}, stage="prod")
    assert names(answer) == ["Santa Ana"]


def test_data_store_rows_match_their_search_term_and_answer_their_result(tmp_path: Path) -> None:
    rows = [
        {"search_term": "Ada Lovelace", "result": {"id": 1, "label": "Ada (math)"}},
        {"search_term": "alan turing", "result": {"id": 2, "label": "Alan"}},
        {"search_term": "Grace Hopper", "result": {"id": 3}},
    ]
    team = write_lists(tmp_path / "other", {"people.json": json.dumps(rows)})
    with serving_lists(team):
        answer = invoke("function-url", "GET", "/v1/typeahead/people", query={"prefix": "A"})
    assert answer.json == [{"id": 1, "label": "Ada (math)"}, {"id": 2, "label": "Alan"}]


def test_a_team_file_named_after_a_built_in_replaces_it(tmp_path: Path, lists: Path) -> None:
    write_lists(lists, {"cities.csv": "name,state,country\nSpringfield,Illinois,United States\n"})
    answer = invoke("function-url", "GET", "/v1/typeahead/cities", query={"prefix": "s"})
    assert names(answer) == ["Springfield"]


def test_a_broken_team_file_answers_what_is_wrong_and_other_lists_keep_working(lists: Path) -> None:
    write_lists(lists, {"projects.csv": "name,code\nApollo,A1\nGemini\n"})
    answer = invoke("function-url", "GET", "/v1/typeahead/projects", query={"prefix": "a"})
    assert (answer.status, error_code(answer)) == (500, "typeahead_list_invalid")
    assert "typeahead/projects.csv, line 3" in answer.json["error"]["message"]
    assert names(invoke("function-url", "GET", "/v1/typeahead/customers", query={"prefix": "b"})) == [
        "Beta Corp"
    ]


class TestPrivacy:
    @pytest.fixture(autouse=True)
    def key(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", KEY)

    @pytest.mark.parametrize("source", SOURCES)
    def test_a_teams_list_needs_the_key_and_carries_no_records_without_it(self, source: str) -> None:
        answer = lookup(source, "customers", prefix="a")
        assert answer.status == 401, answer
        assert error_code(answer) == "unauthorized"
        assert "Acme" not in answer.text
        assert answer.headers["www-authenticate"].startswith("Basic ")

    @pytest.mark.parametrize("source", SOURCES)
    @pytest.mark.parametrize(
        "headers", [{API_KEY_HEADER: KEY}, basic(KEY), basic(KEY, user=""), basic(KEY, "ops@example.com")]
    )
    def test_the_key_as_header_or_as_the_basic_password(self, source: str, headers: dict[str, str]) -> None:
        answer = invoke(source, "GET", "/v1/typeahead/customers", query={"prefix": "acme"}, headers=headers)
        assert names(answer) == ["Acme", "acme labs"]

    @pytest.mark.parametrize(
        "headers",
        [
            {API_KEY_HEADER: KEY + "x"},
            basic(KEY + "x"),
            basic("spiff", user=KEY),  # the key as the user name is not the password
            {"Authorization": "Bearer " + KEY},
            {"Authorization": "Basic !!!not-base64"},
            {"Authorization": "Basic " + base64.b64encode(KEY.encode()).decode()},  # no colon
            {API_KEY_HEADER: "wrong", **basic(KEY)},  # a wrong header is not rescued by Basic
        ],
    )
    def test_a_wrong_key_is_a_401(self, headers: dict[str, str]) -> None:
        answer = invoke(
            "function-url", "GET", "/v1/typeahead/customers", query={"prefix": "a"}, headers=headers
        )
        assert (answer.status, error_code(answer)) == (401, "unauthorized")

    @pytest.mark.parametrize("encoding", ["latin-1", "utf-8"])
    def test_a_key_with_a_colon_and_accents_as_requests_and_others_send_it(
        self, monkeypatch: pytest.MonkeyPatch, encoding: str
    ) -> None:
        monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", "clé:secrète")
        credentials = base64.b64encode("spiff:clé:secrète".encode(encoding)).decode()
        headers = {"Authorization": f"Basic {credentials}"}
        answer = invoke(
            "function-url", "GET", "/v1/typeahead/customers", query={"prefix": "beta"}, headers=headers
        )
        assert names(answer) == ["Beta Corp"]

    def test_built_in_lists_are_public(self) -> None:
        assert names(lookup("function-url", "cities", prefix="santa")) == ["Santa Ana"]

    def test_a_setting_makes_built_ins_private_or_a_teams_list_public(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CONNECTOR_PROXY_TYPEAHEAD_PUBLIC", "none")
        assert lookup("function-url", "cities", prefix="s").status == 401
        monkeypatch.setenv("CONNECTOR_PROXY_TYPEAHEAD_PUBLIC", "customers")
        assert lookup("function-url", "cities", prefix="s").status == 401
        assert names(lookup("function-url", "customers", prefix="beta")) == ["Beta Corp"]

    def test_private_names_are_listed_only_to_a_caller_with_the_key(self) -> None:
        anonymous = lookup("function-url", "nope").json["error"]["message"]
        assert "customers" not in anonymous and "cities, countries, states (and 1 more" in anonymous
        answer = invoke("function-url", "GET", "/v1/typeahead/nope", headers=basic(KEY))
        assert "cities, countries, customers, states." in answer.json["error"]["message"]

    def test_an_empty_key_is_a_configuration_error_for_private_lists_only(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", " ")
        assert error_code(lookup("function-url", "customers", prefix="a")) == "configuration_error"
        assert lookup("function-url", "cities", prefix="s").status == 200


def test_without_a_key_configured_every_list_is_open() -> None:
    assert names(lookup("alb", "customers", prefix="acme")) == ["Acme", "acme labs"]


def test_the_log_names_the_category_and_the_count_never_the_prefix(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="spiff_lambda_proxy")
    assert names(lookup("function-url", "cities", prefix="Santa A")) == ["Santa Ana"]
    record = next(r for r in caplog.records if getattr(r, "route", None) == "/v1/typeahead/{category}")
    assert (record.category, record.records) == ("cities", 1)  # type: ignore[attr-defined]
    assert "category=cities records=1" in record.getMessage()
    everything = " ".join(r.getMessage() + json.dumps(r.__dict__, default=str) for r in caplog.records)
    assert "Santa A" not in everything and "Santa%20A" not in everything


_COLD = """
import json, sys
sys.path[:0] = [{root!r}, {root!r} + "/connectors", {root!r} + "/sdk"]
import lambda_function
from support.lambda_events import make_event
answer = lambda_function.lambda_handler(make_event("function-url", "GET", "/v1/commands"), None)
print(json.dumps([answer["statusCode"], sorted(m for m in sys.modules if "typeahead" in m)]))
"""


def test_nothing_of_typeahead_loads_for_the_other_routes() -> None:
    code = _COLD.format(root=str(PROJECT_ROOT))
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT / "tests")},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    status, modules = json.loads(done.stdout.strip().splitlines()[-1])
    assert status == 200
    assert modules == []


_queries = st.dictionaries(
    st.sampled_from(["prefix", "limit", "Prefix", "q", ""]), st.text(max_size=30), max_size=3
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    source=st.sampled_from(SOURCES),
    category=st.one_of(st.sampled_from(["cities", "customers", "states"]), st.text(min_size=1, max_size=20)),
    query=_queries,
)
def test_any_query_from_any_door_is_answered_in_json_never_a_5xx(
    source: str, category: str, query: dict[str, str]
) -> None:
    from urllib.parse import quote

    answer = invoke(source, "GET", "/v1/typeahead/" + quote(category, safe=""), query=query)
    assert answer.status in (200, 400, 404), answer
    body = answer.json
    assert isinstance(body, list) if answer.status == 200 else set(body) == {"command_response", "error"}
