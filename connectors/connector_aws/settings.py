"""The environment variables the aws connector reads (listed in the proxy's docs/configuration.md).

All of them are AWS's own: the connector adds no setting of its own. Credentials
come from boto3's usual chain (on Lambda, the function's execution role).
"""

from __future__ import annotations

from typing import NamedTuple


# The shape tools/configuration_doc reads from every connector's SETTINGS; each connector
# writes its own, since connectors must not import the proxy (whose table has the same shape).
class Setting(NamedTuple):
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "AWS_REGION",
        "(set by Lambda: the function's region)",
        "Region of the buckets, tables, queues and topics. A command's `region` argument wins over it.",
    ),
    Setting(
        "AWS_DEFAULT_REGION",
        "(set by Lambda)",
        "Used when `AWS_REGION` is not set (outside Lambda).",
    ),
    Setting(
        "AWS_ENDPOINT_URL",
        "(unset: AWS)",
        "Send every AWS request to another endpoint, such as a local moto or LocalStack. Leave unset on "
        "AWS. The proxy reads its API key secret through the same endpoint.",
    ),
    Setting(
        "AWS_ENDPOINT_URL_<SERVICE>",
        "(unset)",
        "The same for one service only (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_DYNAMODB`, ...); wins over "
        "`AWS_ENDPOINT_URL`.",
    ),
)
