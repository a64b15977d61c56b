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
from .errors import CommandError, translate

logger = logging.getLogger(__name__)


class AwsCommand:
    # The AWS service the command talks to, for messages.
    service = ""
    region: str | None = None

    def execute(self, config: Mapping[str, Any], task_data: Any) -> dict[str, Any]:
        try:
            return self.run(Aws(config, region=self._region()))
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

    def _region(self) -> str | None:
        from .arguments import optional_text

        return optional_text("region", self.region)
