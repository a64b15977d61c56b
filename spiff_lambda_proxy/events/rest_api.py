"""Payload format 1.0: API Gateway REST APIs (and HTTP APIs set to 1.0)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..messages import Headers, Request, Response
from .body import decode_body, encode_body, query_from_maps


class RestApiEvent:
    name = "rest-api"

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.event = event

    @classmethod
    def infer(cls, event: Mapping[str, Any]) -> bool:
        context = event.get("requestContext")
        return "httpMethod" in event and isinstance(context, dict) and "elb" not in context

    def request(self) -> Request:
        event = self.event
        context = event["requestContext"]
        path = str(event.get("path") or "/")
        stage = str(context.get("stage") or "")
        domain = str(context.get("domainName") or "")
        return Request(
            method=str(event.get("httpMethod") or "GET"),
            # `path` is the resource path; with a custom domain it carries the base path.
            path=path,
            query=query_from_maps(
                event.get("queryStringParameters"), event.get("multiValueQueryStringParameters")
            ),
            # REST APIs keep the client's header case and repeat values in multiValueHeaders.
            headers=Headers.from_maps(event.get("headers"), event.get("multiValueHeaders")),
            body=decode_body(event),
            source=self.name,
            request_id=str(context.get("requestId", "")),
            stage=stage,
            domain=domain,
            client_path=_client_path(path, stage, domain),
        )

    def answer(self, response: Response) -> dict[str, Any]:
        body, is_base64 = encode_body(response)
        return {
            "statusCode": response.status,
            "headers": response.headers.single(),
            "multiValueHeaders": response.headers.multi(),
            "body": body,
            "isBase64Encoded": is_base64,
        }


def _client_path(path: str, stage: str, domain: str) -> str:
    """The path in the client's URL: on the API's own domain it starts with the stage, which
    `path` leaves out; a custom domain's URL has no stage (its base path is in `path`)."""
    if stage and stage != "$default" and ".execute-api." in domain:
        return f"/{stage}{path}"
    return path
