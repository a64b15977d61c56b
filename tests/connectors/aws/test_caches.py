"""What callers name stays bounded in a warm function: regions are checked, and every cache keyed by a
caller's value (clients by region, queue URLs, table key schemas) keeps only the entries used last.

Before this, 200 made-up regions grew a warm function by about 40 MiB: one boto3 client each, kept
for ever. The memory test runs in a process of its own, as a warm Lambda does, and measures it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from connector_aws import clients, dynamo, messaging
from connector_aws.lru import LruCache
from support.moto_endpoint import AwsTestBed
from support.paths import PROJECT_ROOT

BAD_REGIONS = [
    "not a region!",
    "us-east-1\n",
    "US-EAST-1",
    "us-east",
    "useast1",
    "../../us-east-1",
    "us-east-1.evil.example",
    "a" * 300,
    "us-east-100",
]
GOOD_REGIONS = [
    "us-east-1",
    "eu-central-2",
    "us-gov-west-1",
    "cn-northwest-1",
    "us-isob-east-1",
    "eusc-de-east-1",
]


@pytest.mark.parametrize("region", BAD_REGIONS)
def test_a_region_that_is_not_one_is_refused_before_any_client_is_made(aws: AwsTestBed, region: str) -> None:
    clients.clear_clients()
    status, code, message = aws.error("S3PresignUrl", bucket="b", key="k", region=region)
    assert (status, code) == (400, "InvalidArgument")
    assert message.startswith("Argument 'region' must be an AWS region such as us-east-1")
    assert "\n" not in message
    assert len(clients._clients) == 0


@pytest.mark.parametrize("region", GOOD_REGIONS)
def test_every_partitions_regions_are_accepted(aws: AwsTestBed, region: str) -> None:
    body = aws.body("S3PresignUrl", bucket="b", key="k", region=region)
    assert body["url"].startswith(aws.url)


MEASURE = """
import gc, json, os, sys
os.environ.update({{"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                   "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
                   "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}})
import lambda_function
from support.lambda_events import lambda_context, make_event

def region(number):  # zz-a-1, zz-b-1, ..., zz-ba-1: distinct, and shaped like a region
    name = ""
    while True:
        name, number = chr(97 + number % 26) + name, number // 26
        if not number:
            return f"zz-{{name}}-1"

def presign(number):
    body = {{"bucket": "b", "key": "k", "region": region(number)}}
    event = make_event("function-url", "POST", "/v1/do/aws/S3PresignUrl", body=body)
    answer = lambda_function.lambda_handler(event, lambda_context())
    assert answer["statusCode"] == 200 and '"error":null' in answer["body"], answer["body"][:300]

def rss_mib():
    gc.collect()
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

for number in range({warm}):  # a warm function: its caches as full as they get
    presign(number)
before = rss_mib()
for number in range({warm}, {warm} + {more}):
    presign(number)
print(json.dumps({{"before": before, "after": rss_mib()}}))
"""


@pytest.mark.slow
def test_a_warm_function_stays_within_a_few_mib_however_many_regions_callers_name() -> None:
    # Presigning makes a client and signs in the process: no AWS, no moto needed.
    script = MEASURE.format(warm=2 * clients.CLIENTS + 16, more=250)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=PROJECT_ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{PROJECT_ROOT}:{PROJECT_ROOT / 'tests'}"},
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    # 250 more regions: about 100 MiB with a client kept for each.
    assert measured["after"] - measured["before"] < 4, measured


def test_queue_urls_are_kept_for_the_queues_used_last(
    aws: AwsTestBed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(messaging._queue_urls, "size", 4)
    sqs = aws.client("sqs")
    names = [f"queue-{number}" for number in range(10)]
    for name in names:
        sqs.create_queue(QueueName=name)
    for name in names:
        assert aws.body("SqsSendMessage", queue=name, message="hi")["queue_url"].endswith(f"/{name}")
    assert len(messaging._queue_urls) == 4
    assert aws.body("SqsSendMessage", queue=names[-1], message="again")["queue_url"].endswith(names[-1])


def test_key_schemas_are_kept_for_the_tables_used_last(
    aws: AwsTestBed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dynamo._schemas, "size", 3)
    client = aws.client("dynamodb")
    tables = [f"table-{number}" for number in range(8)]
    for table in tables:
        client.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        aws.body("DynamoPutItem", table_name=table, item={"id": "a", "n": 1})
    for table in tables:
        assert aws.body("DynamoQuery", table_name=table, partition_key="a")["count"] == 1
    assert len(dynamo._schemas) == 3


def test_the_cache_keeps_the_entries_used_last() -> None:
    cache: LruCache[str, int] = LruCache(3)
    for number, key in enumerate("abc"):
        cache.put(key, number)
    assert cache.get("a") == 0  # a is now the newest
    cache.put("d", 3)
    assert [cache.get(key) for key in "abcd"] == [0, None, 2, 3]
    cache.discard(lambda key: key in "ad")
    assert len(cache) == 1 and cache.get("c") == 2
    cache.clear()
    assert len(cache) == 0
