"""Message bodies and attributes for SQS and SNS, from JSON arguments."""

from __future__ import annotations

import json
from typing import Any

from .errors import InvalidArgument
from .lru import LruCache


def message_body(argument: str, value: Any) -> str:
    """Text as it is; any other JSON value (object, array, number) as its JSON text."""
    if value is None or value == "":
        raise InvalidArgument(argument, "must not be empty.")
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def message_attributes(argument: str, value: Any) -> dict[str, Any] | None:
    """{"name": value}: strings become String, numbers Number, booleans "true"/"false" Strings.

    A value that is already {"DataType": ..., "StringValue": ...} passes as it is.
    """
    if value is None or value == {}:
        return None
    if not isinstance(value, dict):
        raise InvalidArgument(argument, 'must be a JSON object like {"name": "value"}.')
    attributes = {}
    for name, item in value.items():
        if isinstance(item, dict) and "DataType" in item:
            attributes[name] = item
        elif isinstance(item, bool):
            attributes[name] = {"DataType": "String", "StringValue": "true" if item else "false"}
        elif isinstance(item, (int, float)):
            attributes[name] = {"DataType": "Number", "StringValue": repr(item)}
        elif isinstance(item, str) and item:
            attributes[name] = {"DataType": "String", "StringValue": item}
        else:
            raise InvalidArgument(
                argument, f"has a value for '{name}' that is not a non-empty string or a number."
            )
    return attributes


# Queue names are the caller's: the URLs of the ones used last.
_queue_urls: LruCache[tuple[str, str, str], str] = LruCache(256)


def queue_url(client: Any, queue: str) -> str:
    """The URL of a queue given by URL or by name (looked up once while warm)."""
    if queue.startswith(("https://", "http://")):
        return queue
    key = (str(client.meta.region_name), str(client.meta.endpoint_url), queue)
    url = _queue_urls.get(key)
    if url is None:
        url = _queue_urls.put(key, str(client.get_queue_url(QueueName=queue)["QueueUrl"]))
    return url


def forget_queue(queue: str) -> None:
    _queue_urls.discard(lambda key: key[2] == queue)


def forget_queues() -> None:
    _queue_urls.clear()
