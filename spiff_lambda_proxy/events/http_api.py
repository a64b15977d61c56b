"""Payload format 2.0: Lambda Function URLs and API Gateway HTTP APIs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..messages import Headers, Request, Response
from ..settings import LAMBDA_PAYLOAD_LIMIT
from .body import decode_body, encode_body, parse_query_string
from .fields import EventFields


class HttpApiEvent:
    name = "http-api"
    payload_limit = LAMBDA_PAYLOAD_LIMIT

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.event = event
        context = event.get("requestContext") or {}
        # Same payload for both; the domain tells them apart in the logs.
        if "lambda-url" in str(context.get("domainName", "")):
            self.name = "function-url"

    @classmethod
    def infer(cls, event: Mapping[str, Any]) -> bool:
        context = event.get("requestContext")
        return event.get("version") == "2.0" and isinstance(context, dict) and "http" in context

    def request(self) -> Request:
        fields = EventFields(self.event)
        context = fields.section("requestContext")
        http = context.section("http")
        headers = Headers(fields.strings("headers").items())
        # 2.0 moves cookies out of the headers; put them back for connectors that care.
        cookies = fields.string_list("cookies")
        if cookies and "cookie" not in headers:
            headers.set("cookie", "; ".join(cookies))
        return Request(
            method=http.text("method") or "GET",
            # A named stage is the first segment of rawPath; the router strips it.
            path=fields.text("rawPath") or http.text("path") or "/",
            query=parse_query_string(fields.text("rawQueryString")),
            headers=headers,
            body=decode_body(fields),
            source=self.name,
            request_id=context.text("requestId"),
            stage=context.text("stage"),
            # The path is the client's own (rawPath), so it also serves as `client_path`.
            domain=context.text("domainName"),
        )

    def answer(self, response: Response) -> dict[str, Any]:
        body, is_base64 = encode_body(response)
        headers = response.headers.single()
        answer: dict[str, Any] = {
            "statusCode": response.status,
            "headers": headers,
            "body": body,
            "isBase64Encoded": is_base64,
        }
        # 2.0 carries Set-Cookie in its own list: comma-joining would corrupt them.
        cookies = response.headers.get_all("Set-Cookie")
        if cookies:
            headers.pop(next(n for n in headers if n.lower() == "set-cookie"))
            answer["cookies"] = cookies
        return answer
