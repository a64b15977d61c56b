"""Checking a command's arguments and turning them into one outgoing request.

Modellers fill these in a diagram editor, often from process variables, so
every problem is answered with `InvalidArgument` naming the argument instead
of surfacing later as an obscure error from the HTTP library.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit

from .errors import invalid_argument
from .redaction import Secrets, is_secret_name

BODY_FORMATS = ("json", "form", "raw", "none")
MAX_ATTEMPTS = 10
_SENSITIVE_HEADERS = ("authorization", "proxy-authorization", "cookie", "x-api-key")
_SCALARS = (str, int, float, bool)


class HttpRequest(NamedTuple):
    method: str
    url: str
    headers: dict[str, str]
    params: list[tuple[str, str]]
    body: bytes | None
    auth: tuple[str, str] | None
    attempts: int
    include_response_headers: bool
    secrets: Secrets
    # Said in the log before the first request (e.g. a basic-auth argument left unused).
    notes: tuple[str, ...] = ()


def build_request(method: str, arguments: Mapping[str, Any]) -> HttpRequest:
    """The request these arguments describe; raises HttpFailure(InvalidArgument)."""
    url = _url(arguments.get("url"))
    headers = _headers(arguments.get("headers"))
    params = _params(arguments.get("params"))
    username = _optional_str(arguments, "basic_auth_username")
    password = _optional_str(arguments, "basic_auth_password")
    attempts = _attempts(arguments.get("attempts"))
    include_headers = arguments.get("include_response_headers")
    if include_headers is not None and not isinstance(include_headers, bool):
        raise invalid_argument(
            "include_response_headers", f"must be true or false, not {_kind(include_headers)}."
        )
    notes: list[str] = []
    body = _body(arguments, headers, notes)

    auth = None
    if username is not None and password is not None:
        auth = (username, password)
    elif username is not None or password is not None:
        # connector-http sends basic auth only with both; say so rather than fail silently.
        missing = "basic_auth_password" if password is None else "basic_auth_username"
        notes.append(f"basic auth not sent: {missing} is missing")

    secrets = Secrets([password or ""])
    parts = urlsplit(url)
    secrets.add(parts.password, parts.username)
    secrets.add(*(value for name, value in headers.items() if _is_sensitive_header(name)))
    secrets.add(*(value for name, value in params if is_secret_name(name)))
    return HttpRequest(
        method=method,
        url=url,
        headers=headers,
        params=params,
        body=body,
        auth=auth,
        attempts=attempts,
        include_response_headers=bool(include_headers),
        secrets=secrets,
        notes=tuple(notes),
    )


def _url(value: Any) -> str:
    if not isinstance(value, str):
        raise invalid_argument("url", f"must be a string, not {_kind(value)}.")
    url = value.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as error:
        raise invalid_argument("url", f"is not a valid URL ({error}).") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise invalid_argument("url", "must start with http:// or https://.")
    if not parts.hostname:
        raise invalid_argument("url", "has no host name.")
    if any(char.isspace() or ord(char) < 32 for char in url):
        raise invalid_argument("url", "must not contain spaces or control characters; percent-encode them.")
    return url


def _headers(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise invalid_argument(
            "headers", f"must be an object of header names to strings, not {_kind(value)}."
        )
    headers: dict[str, str] = {}
    for name, header_value in value.items():
        if not isinstance(name, str) or not name.strip() or any(c in name for c in ":\r\n "):
            raise invalid_argument("headers", f"has an invalid header name {name!r}.")
        if not isinstance(header_value, str):
            raise invalid_argument(
                "headers", f"value of {name!r} must be a string, not {_kind(header_value)}."
            )
        if "\r" in header_value or "\n" in header_value:
            raise invalid_argument("headers", f"value of {name!r} must not contain line breaks.")
        headers[name] = header_value
    return headers


def _params(value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, Mapping):
        raise invalid_argument(
            "params", f"must be an object of query parameter names to values, not {_kind(value)}."
        )
    params: list[tuple[str, str]] = []
    for name, item in value.items():
        for one in item if isinstance(item, list) else [item]:
            if one is None:
                continue  # like requests: a None parameter is left out
            if not isinstance(one, _SCALARS):
                raise invalid_argument(
                    "params", f"value of {name!r} must be a string, number, boolean or a list of those."
                )
            params.append((str(name), _scalar_text(one)))
    return params


def _optional_str(arguments: Mapping[str, Any], name: str) -> str | None:
    value = arguments.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid_argument(name, f"must be a string, not {_kind(value)}.")
    return value


def _attempts(value: Any) -> int:
    if value is None:
        return 1
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ATTEMPTS:
        raise invalid_argument("attempts", f"must be a whole number from 1 to {MAX_ATTEMPTS}, not {value!r}.")
    return value


def _body(arguments: Mapping[str, Any], headers: dict[str, str], notes: list[str]) -> bytes | None:
    raw_format = arguments.get("body_format")
    if raw_format is not None and not isinstance(raw_format, str):
        raise invalid_argument(
            "body_format", f"must be one of {', '.join(BODY_FORMATS)}, not {_kind(raw_format)}."
        )
    body_format = (raw_format or "json").strip().lower()
    if body_format not in BODY_FORMATS:
        raise invalid_argument(
            "body_format", f"must be one of {', '.join(BODY_FORMATS)}, not {raw_format!r}."
        )
    data = arguments.get("data")
    if data is None:
        return None
    if body_format == "none":
        notes.append("body_format is none: data not sent")
        return None
    if body_format == "json":
        try:
            encoded = json.dumps(data, ensure_ascii=False, allow_nan=False).encode()
        except (TypeError, ValueError) as error:
            raise invalid_argument("data", f"cannot be sent as JSON ({error}).") from None
        _default_content_type(headers, "application/json")
        return encoded
    if body_format == "form":
        if not isinstance(data, Mapping):
            raise invalid_argument("data", f"must be an object for body_format form, not {_kind(data)}.")
        fields = []
        for name, value in data.items():
            for one in value if isinstance(value, list) else [value]:
                if not isinstance(one, _SCALARS):
                    raise invalid_argument(
                        "data", f"form field {name!r} must be a string, number or boolean."
                    )
                fields.append((str(name), _scalar_text(one)))
        _default_content_type(headers, "application/x-www-form-urlencoded")
        return urlencode(fields).encode()
    if not isinstance(data, str):
        raise invalid_argument("data", f"must be a string for body_format raw, not {_kind(data)}.")
    _default_content_type(headers, "text/plain; charset=utf-8")
    return data.encode()


def _default_content_type(headers: dict[str, str], content_type: str) -> None:
    if not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = content_type


def _is_sensitive_header(name: str) -> bool:
    return name.lower() in _SENSITIVE_HEADERS or is_secret_name(name)


def _scalar_text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"  # as in the JSON the modeller wrote
    return str(value)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), f"a {type(value).__name__}"
    )
