"""Libraries that print request data at DEBUG, kept at WARNING unless someone configured them.

At DEBUG urllib3 logs every request line (query strings with their tokens),
botocore logs request parameters and bodies, the requests it sends with their
signed headers (session tokens among them), the strings it signs and whole
response bodies (a secret's value, an object's content). Lambda's log-level
controls can turn DEBUG on for every logger at once, so these loggers are set
to WARNING; one whose level was set on purpose is left alone. The ones that
print payloads are quieted by name as well, so turning the library's own
logger up to DEBUG (to see its retries, say) still prints no payload.
"""

from __future__ import annotations

import logging

WIRE_LOGGERS = (
    "urllib3",
    "urllib3.connectionpool",
    "botocore",
    "botocore.endpoint",
    "botocore.parsers",
    "botocore.auth",
    "boto3",
    "s3transfer",
)


def quiet() -> None:
    for name in WIRE_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)
