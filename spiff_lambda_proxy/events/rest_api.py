"""Payload format 1.0: API Gateway REST APIs (and HTTP APIs set to 1.0)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..messages import Headers, Request, Response
from ..settings import LAMBDA_PAYLOAD_LIMIT
from .body import decode_body, encode_body, query_from_maps
from .fields import EventFields


class RestApiEvent:
    name = "rest-api"
    # API Gateway takes 10 MB, but the function's own answer stops at Lambda's limit.
    payload_limit = LAMBDA_PAYLOAD_LIMIT

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.event = event

    @classmethod
    def infer(cls, event: Mapping[str, Any]) -> bool:
        context = event.get("requestContext")
        return "httpMethod" in event and isinstance(context, dict) and "elb" not in context

    def request(self) -> Request:
        fields = EventFields(self.event)
        context = fields.section("requestContext")
        path = fields.text("path") or "/"
        stage = context.text("stage")
        domain = context.text("domainName")
        return Request(
            method=fields.text("httpMethod") or "GET",
            # `path` is the resource path; with a custom domain it carries the base path.
            path=path,
            query=query_from_maps(
                fields.strings("queryStringParameters"),
                fields.string_lists("multiValueQueryStringParameters"),
            ),
            # REST APIs keep the client's header case and repeat values in multiValueHeaders.
            headers=Headers.from_maps(fields.strings("headers"), fields.string_lists("multiValueHeaders")),
            body=decode_body(fields),
            source=self.name,
            request_id=context.text("requestId"),
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
