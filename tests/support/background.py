"""What the background-run tests share: Lambda's stubbed Invoke API, SpiffArena's made-up host."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from botocore.stub import ANY, Stubber

from support.lambda_events import FakeContext

ARN = FakeContext().invoked_function_arn
# SpiffArena's host in requests that never reach a server: resolved by the tripwire's fake DNS.
SPIFFARENA_HOST = "spiff.example.com"
SPIFFARENA_ADDRESS = "203.0.113.10"  # TEST-NET-3: documentation only, never connected to


class Stubbed(NamedTuple):
    stub: Stubber
    # The parameters of every invoke call, as the client received them.
    calls: list[dict[str, Any]]

    def expect_invoke(self, times: int = 1) -> None:
        for _ in range(times):
            self.stub.add_response(
                "invoke",
                {"StatusCode": 202},
                expected_params={"FunctionName": ARN, "InvocationType": "Event", "Payload": ANY},
            )

    def payload(self, index: int = 0) -> dict[str, Any]:
        raw = self.calls[index]["Payload"]
        event: dict[str, Any] = json.loads(raw)
        return event
