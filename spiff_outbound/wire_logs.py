"""Libraries that print request data at DEBUG, kept at WARNING unless someone configured them.

At DEBUG urllib3 logs every request line (query strings with their tokens),
botocore logs request parameters, response bodies (a secret's value, an
object's content) and the strings it signs (session tokens among them). Lambda's
log-level controls can turn DEBUG on for every logger at once, so these are
set to WARNING here; a logger whose level was set on purpose is left alone.
"""

from __future__ import annotations

import logging

WIRE_LOGGERS = ("urllib3", "botocore", "boto3", "s3transfer")


def quiet() -> None:
    for name in WIRE_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)
