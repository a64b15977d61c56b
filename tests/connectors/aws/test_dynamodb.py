"""aws/Dynamo* commands against moto's DynamoDB, through lambda_handler."""

from __future__ import annotations

from typing import Any

import pytest
from support.moto_endpoint import AwsTestBed

TABLE = "Movies"
MOVIES = [
    {"year": 1982, "title": "Blade Runner", "director": "Scott", "rating": 8.1},
    {"year": 1982, "title": "E.T.", "director": "Spielberg", "rating": 7.9},
    {"year": 1982, "title": "Tron", "director": "Lisberger", "rating": 6.8},
    {"year": 1964, "title": "Dr. Strangelove", "director": "Kubrick", "rating": 8.4},
    {"year": 1979, "title": "Alien", "director": "Scott", "rating": 8.5},
]


@pytest.fixture
def dynamodb(aws: AwsTestBed) -> Any:
    client = aws.client("dynamodb")
    client.create_table(
        TableName=TABLE,
        KeySchema=[
            {"AttributeName": "year", "KeyType": "HASH"},
            {"AttributeName": "title", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "year", "AttributeType": "N"},
            {"AttributeName": "title", "AttributeType": "S"},
            {"AttributeName": "director", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_director",
                "KeySchema": [
                    {"AttributeName": "director", "KeyType": "HASH"},
                    {"AttributeName": "year", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


@pytest.fixture
def movies(aws: AwsTestBed, dynamodb: Any) -> Any:
    for movie in MOVIES:
        aws.body("DynamoPutItem", table_name=TABLE, item=movie)
    return dynamodb


def titles(body: dict[str, Any]) -> list[str]:
    return [item["title"] for item in body["items"]]


def test_floats_are_stored_as_numbers_and_read_back_as_json_numbers(aws: AwsTestBed, dynamodb: Any) -> None:
    item = {
        "year": 2001,
        "title": "Space",
        "rating": 8.3,
        "tiny": 0.1,
        "budget": 10500000,
        "flags": {"color": True, "none": None, "scores": [1.5, 2, -0.25]},
        "empty": "",
    }
    put = aws.body("DynamoPutItem", table_name=TABLE, item=item)
    assert put == {"table_name": TABLE, "item": item}

    raw = dynamodb.get_item(TableName=TABLE, Key={"year": {"N": "2001"}, "title": {"S": "Space"}})["Item"]
    assert raw["rating"] == {"N": "8.3"}  # a number, not the string "8.3"
    assert raw["tiny"] == {"N": "0.1"}  # exact: no binary float noise
    assert raw["flags"]["M"]["scores"] == {"L": [{"N": "1.5"}, {"N": "2"}, {"N": "-0.25"}]}

    got = aws.body("DynamoGetItem", table_name=TABLE, key={"year": 2001, "title": "Space"})
    assert got == {"table_name": TABLE, "key": {"year": 2001, "title": "Space"}, "found": True, "item": item}
    assert isinstance(got["item"]["budget"], int) and isinstance(got["item"]["rating"], float)


def test_get_missing_item_and_wrong_key(aws: AwsTestBed, dynamodb: Any) -> None:
    got = aws.body(
        "DynamoGetItem", table_name=TABLE, key={"year": 1900, "title": "Nothing"}, consistent_read=True
    )
    assert (got["found"], got["item"]) == (False, None)
    status, code, _ = aws.error("DynamoGetItem", table_name=TABLE, key={"year": 1900})
    assert (status, code) == (400, "ValidationException")


@pytest.mark.parametrize(
    ("command", "params"),
    [
        ("DynamoPutItem", {"item": {"pk": "a"}}),
        ("DynamoGetItem", {"key": {"pk": "a"}}),
        ("DynamoDeleteItem", {"key": {"pk": "a"}}),
        ("DynamoQuery", {"partition_key": "a"}),
        ("DynamoScan", {}),
    ],
)
def test_missing_table(aws: AwsTestBed, command: str, params: dict[str, Any]) -> None:
    status, code, message = aws.error(command, table_name="NoSuchTable", **params)
    assert (status, code) == (400, "ResourceNotFoundException")
    assert message


def test_query_by_partition_key(aws: AwsTestBed, movies: Any) -> None:
    body = aws.body("DynamoQuery", table_name=TABLE, partition_key=1982)
    assert titles(body) == ["Blade Runner", "E.T.", "Tron"]
    assert (body["count"], body["next_token"]) == (3, None)
    assert body["items"][0] == MOVIES[0]
    # A form field sends the number as text; the table says the key is a number.
    assert titles(aws.body("DynamoQuery", table_name=TABLE, partition_key="1982")) == titles(body)
    assert aws.body("DynamoQuery", table_name=TABLE, partition_key=2050)["items"] == []


@pytest.mark.parametrize(
    ("sort_key", "operator", "expected"),
    [
        ("E.T.", None, ["E.T."]),
        ("E.T.", "=", ["E.T."]),
        ("E", "begins_with", ["E.T."]),
        (["B", "F"], "between", ["Blade Runner", "E.T."]),
        ("E", "<", ["Blade Runner"]),
        ("E.T.", "<=", ["Blade Runner", "E.T."]),
        ("E.T.", ">", ["Tron"]),
        ("E.T.", "ge", ["E.T.", "Tron"]),
    ],
)
def test_query_sort_key_conditions(
    aws: AwsTestBed, movies: Any, sort_key: Any, operator: str | None, expected: list[str]
) -> None:
    body = aws.body(
        "DynamoQuery", table_name=TABLE, partition_key=1982, sort_key=sort_key, sort_key_operator=operator
    )
    assert titles(body) == expected


def test_query_pages_descending_and_by_index(aws: AwsTestBed, movies: Any) -> None:
    first = aws.body("DynamoQuery", table_name=TABLE, partition_key=1982, limit=2, descending=True)
    assert titles(first) == ["Tron", "E.T."]
    assert first["next_token"]
    rest = aws.body(
        "DynamoQuery", table_name=TABLE, partition_key=1982, descending=True, next_token=first["next_token"]
    )
    assert titles(rest) == ["Blade Runner"]

    scott = aws.body("DynamoQuery", table_name=TABLE, index_name="by_director", partition_key="Scott")
    assert titles(scott) == ["Alien", "Blade Runner"]
    after_1980 = aws.body(
        "DynamoQuery",
        table_name=TABLE,
        index_name="by_director",
        partition_key="Scott",
        sort_key="1980",
        sort_key_operator=">",
    )
    assert titles(after_1980) == ["Blade Runner"]


@pytest.mark.parametrize(
    ("params", "argument"),
    [
        ({"partition_key": "nineteen"}, "partition_key"),
        ({"partition_key": None}, "partition_key"),
        ({"partition_key": 1982, "sort_key": "A", "sort_key_operator": "between"}, "sort_key"),
        ({"partition_key": 1982, "sort_key_operator": "begins_with"}, "sort_key"),
        ({"partition_key": 1982, "index_name": "by_title"}, "index_name"),
    ],
)
def test_query_bad_arguments(aws: AwsTestBed, movies: Any, params: dict[str, Any], argument: str) -> None:
    status, code, message = aws.error("DynamoQuery", table_name=TABLE, **params)
    assert (status, code) == (400, "InvalidArgument")
    assert f"'{argument}'" in message


def test_scan_pages_through_everything(aws: AwsTestBed, movies: Any) -> None:
    seen: list[str] = []
    token = None
    for _ in range(10):
        body = aws.body("DynamoScan", table_name=TABLE, limit=2, next_token=token)
        assert len(body["items"]) <= 2
        seen += titles(body)
        token = body["next_token"]
        if token is None:
            break
    assert sorted(seen) == sorted(str(movie["title"]) for movie in MOVIES)


def test_delete_item(aws: AwsTestBed, movies: Any) -> None:
    key = {"year": 1982, "title": "Tron"}
    body = aws.body("DynamoDeleteItem", table_name=TABLE, key=key)
    assert body == {"table_name": TABLE, "key": key, "deleted": True, "item": MOVIES[2]}
    assert aws.body("DynamoGetItem", table_name=TABLE, key=key)["found"] is False
    again = aws.body("DynamoDeleteItem", table_name=TABLE, key=key)
    assert (again["deleted"], again["item"]) == (False, None)
