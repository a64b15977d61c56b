"""Application Load Balancer target groups (single- or multi-value headers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..messages import Headers, Request, Response
from .body import decode_body, encode_body, query_from_maps
from .fields import EventFields

# "The maximum size of the response JSON that the Lambda function can send is 1 MB" (ELB's
# documentation): the decimal megabyte, the smaller reading.
ALB_PAYLOAD_LIMIT = 1_000_000


class AlbEvent:
    name = "alb"
    payload_limit = ALB_PAYLOAD_LIMIT

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.event = event
        # The target group's setting decides the shape; the answer must use the same one.
        self.multi_value = "multiValueHeaders" in event

    @classmethod
    def infer(cls, event: Mapping[str, Any]) -> bool:
        context = event.get("requestContext")
        return isinstance(context, dict) and "elb" in context

    def request(self) -> Request:
        fields = EventFields(self.event)
        headers = Headers.from_maps(fields.strings("headers"), fields.string_lists("multiValueHeaders"))
        return Request(
            method=fields.text("httpMethod") or "GET",
            path=fields.text("path") or "/",
            # ALB passes query strings through exactly as the client sent them, still encoded.
            query=query_from_maps(
                fields.strings("queryStringParameters"),
                fields.string_lists("multiValueQueryStringParameters"),
                percent_encoded=True,
            ),
            headers=headers,
            body=decode_body(fields),
            source=self.name,
            # ALB has no request id of its own; its trace id is the next best thing.
            request_id=headers.get("x-amzn-trace-id", ""),
        )

    def answer(self, response: Response) -> dict[str, Any]:
        body, is_base64 = encode_body(response)
        answer: dict[str, Any] = {
            "statusCode": response.status,
            "statusDescription": f"{response.status} {_reason(response.status)}",
            "body": body,
            "isBase64Encoded": is_base64,
        }
        if self.multi_value:
            answer["multiValueHeaders"] = response.headers.multi()
        else:
            answer["headers"] = response.headers.single()
        return answer


def _reason(status: int) -> str:
    from http import HTTPStatus  # only ALB needs reason phrases; keep it off the cold path of others

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
