"""Checking a command's arguments and turning them into one outgoing request.

Modellers fill these in a diagram editor, often from process variables, so
every problem is answered with `InvalidArgument` naming the argument instead
of surfacing later as an obscure error from the HTTP library.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from spiff_outbound.destinations import InvalidDestination, url_destination

from .errors import invalid_argument
from .redaction import Secrets, is_credential_header, is_secret_name

BODY_FORMATS = ("json", "form", "raw", "none")
MAX_ATTEMPTS = 10
_SCALARS = (str, int, float, bool)
# What a URL must not hold unencoded: whitespace (Unicode's too) and control characters.
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")
# RFC 9110's token: what a header name may consist of.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_NAME_START = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{0,40}")
# The userinfo of a URL too broken to parse ("user:pa/ss@host"), so it is masked anyway.
_RAW_USERINFO = re.compile(r"^[a-z][a-z0-9+.-]*://([^@]*)@", re.I)


class HttpRequest(NamedTuple):
    method: str
    url: str
    headers: dict[str, str]
    params: list[tuple[str, str]]
    body: bytes | None
    auth: tuple[bytes, bytes] | None
    attempts: int
    include_response_headers: bool
    secrets: Secrets
    # Said in the log before the first request (e.g. a basic-auth argument left unused).
    notes: tuple[str, ...] = ()


def secrets_in(arguments: Mapping[str, Any]) -> Secrets:
    """Every credential the arguments hold, found before anything is checked, so that no
    message (validation errors included) can print one; values of any type are skipped."""
    secrets = Secrets()
    for name in ("basic_auth_password", "basic_auth_username"):
        value = arguments.get(name)
        secrets.add(value if isinstance(value, str) else None)
    url = arguments.get("url")
    if isinstance(url, str):
        secrets.add(*_url_secrets(url.strip()))
    for name in ("headers", "params"):
        pairs = arguments.get(name)
        if not isinstance(pairs, Mapping):
            continue
        for key, value in pairs.items():
            secret = is_credential_header(str(key)) if name == "headers" else is_secret_name(str(key))
            for one in value if isinstance(value, list) else [value]:
                if secret and isinstance(one, str):
                    secrets.add(one, one.strip())
    return secrets


def _url_secrets(url: str) -> list[str | None]:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        raw = _RAW_USERINFO.match(url)
        if raw is None:
            return []
        username, _, password = raw.group(1).partition(":")
        return [raw.group(1), username, password]
    query = [value for name, value in parse_qsl(parts.query, True) if is_secret_name(name)]
    # As written and as sent (requests decodes %40 and the like before basic auth).
    userinfo = [part for part in (parts.password, parts.username) if part]
    return [*userinfo, *(unquote(part) for part in userinfo), *query]


def build_request(method: str, arguments: Mapping[str, Any], secrets: Secrets) -> HttpRequest:
    """The request these arguments describe; raises HttpFailure(InvalidArgument).

    `secrets` (from `secrets_in`) gains whatever else turns out to be secret.
    """
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
        auth = (_auth_bytes(username), _auth_bytes(password))
    elif username is not None or password is not None:
        # connector-http sends basic auth only with both; say so rather than fail silently.
        missing = "basic_auth_password" if password is None else "basic_auth_username"
        notes.append(f"basic auth not sent: {missing} is missing")

    secrets.add(*(value for name, value in headers.items() if is_credential_header(name)))
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
    """The URL, checked; no message quotes it (its user info or query may hold a secret)."""
    if not isinstance(value, str):
        raise invalid_argument("url", f"must be a string, not {_kind(value)}.")
    url = _text("url", value.strip())
    if _SPACE_OR_CONTROL.search(url):
        raise invalid_argument("url", "must not contain spaces or control characters; percent-encode them.")
    try:
        url_destination(url)
    except InvalidDestination as problem:
        raise invalid_argument("url", f"{problem}.") from None
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
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            # Quoted only up to the first character a name cannot hold: a value pasted
            # into the name ("Authorization: Bearer ...") stays unprinted.
            shown = _HEADER_NAME_START.match(str(name))
            start = shown.group(0) if shown else ""
            raise invalid_argument(
                "headers",
                f"has an invalid header name starting {start!r}: a name is letters, digits and "
                "!#$%&'*+-.^_`|~ only (no spaces or ':').",
            )
        if not isinstance(header_value, str):
            raise invalid_argument(
                "headers", f"value of {name!r} must be a string, not {_kind(header_value)}."
            )
        header_value = header_value.strip()  # surrounding whitespace is not part of a value
        if any((ord(char) < 32 and char != "\t") or char == "\x7f" for char in header_value):
            raise invalid_argument(
                "headers", f"value of {name!r} must not contain line breaks or control characters."
            )
        try:
            header_value.encode("latin-1")
        except UnicodeEncodeError:
            raise invalid_argument(
                "headers",
                f"value of {name!r} holds characters HTTP headers cannot carry (only Latin-1); "
                "percent-encode or base64 it.",
            ) from None
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
            params.append((_text("params", str(name)), _text("params", _scalar_text(one))))
    return params


def _optional_str(arguments: Mapping[str, Any], name: str) -> str | None:
    value = arguments.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid_argument(name, f"must be a string, not {_kind(value)}.")
    return None if value is None else _text(name, value)


def _attempts(value: Any) -> int:
    if value is None:
        return 1
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ATTEMPTS:
        shown = value if isinstance(value, int) and not isinstance(value, bool) else _kind(value)
        raise invalid_argument("attempts", f"must be a whole number from 1 to {MAX_ATTEMPTS}, not {shown}.")
    return value


def _auth_bytes(text: str) -> bytes:
    # Latin-1, as requests (and so connector-http) sends it; beyond it UTF-8 (RFC 7617).
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _text(name: str, value: str) -> str:
    """`value` if it can be sent at all: a lone UTF-16 surrogate (from a JSON escape) cannot."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid_argument(
            name, "holds a lone UTF-16 surrogate (a \\ud800-\\udfff escape), which no request can carry."
        ) from None
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
            "body_format", f"must be one of {', '.join(BODY_FORMATS)}, not {body_format[:40]!r}."
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
                fields.append((_text("data", str(name)), _text("data", _scalar_text(one))))
        _default_content_type(headers, "application/x-www-form-urlencoded")
        return urlencode(fields).encode()
    if not isinstance(data, str):
        raise invalid_argument("data", f"must be a string for body_format raw, not {_kind(data)}.")
    _default_content_type(headers, "text/plain; charset=utf-8")
    return _text("data", data).encode()


def _default_content_type(headers: dict[str, str], content_type: str) -> None:
    if not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = content_type


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
