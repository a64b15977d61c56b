"""What every aws command shares: run against AWS, answer every expected failure as an envelope.

Command classes (in `commands/`) keep their arguments in `__init__`, as the
proxy describes them from its signature, and check them in `run`, so that a
bad argument becomes a 400 envelope rather than an exception.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from .clients import Aws
from .envelopes import MAX_ANSWER_BYTES, RESPONSE_TOO_LARGE, carried_size, failure
from .errors import CommandError, translate

logger = logging.getLogger(__name__)


class AwsCommand:
    # The AWS service the command talks to, for messages.
    service = ""
    region: str | None = None
    # What to do when the answer is too large for Lambda to carry.
    too_large_advice = "Ask for less at a time."

    def execute(self, config: Mapping[str, Any], task_data: Any) -> dict[str, Any]:
        try:
            return self._deliverable(self.run(Aws(config, region=self._region())))
        except CommandError as error:
            return error.envelope()
        except Exception as error:
            known = translate(error, self.service)
            if known is None:
                raise  # a bug: the proxy answers 500 and logs the stack trace
            logger.info("%s: %s %s", type(self).__name__, known.error_code, known.status)
            return known.envelope()

    def run(self, aws: Aws) -> dict[str, Any]:
        raise NotImplementedError

    def _deliverable(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """`envelope`, or a clear error when Lambda could not carry it (its JSON is escaped again)."""
        size = carried_size(envelope)
        if size <= MAX_ANSWER_BYTES:
            return envelope
        return failure(
            RESPONSE_TOO_LARGE,
            f"The answer would be {size} bytes once encoded; a Lambda answer carries at most "
            f"{MAX_ANSWER_BYTES} here (JSON text inside the answer is escaped again). "
            + self.too_large_advice,
            500,
            {"size": size, "max_size": MAX_ANSWER_BYTES},
        )

    def _region(self) -> str | None:
        from .arguments import region

        return region("region", self.region)
