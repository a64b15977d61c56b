"""The v2 commands: the answer is SpiffArena's v2 envelope, whatever happened.

Argument names and order are those of connector-http (BPMN files store them). Each command
writes its arguments out, like those of v1.py, on purpose: discovery describes a command from
its own `__init__` signature, and forwarding `**kwargs` would describe nothing;
`body_format` and `include_response_headers` are the later additions SpiffArena's
built-in HTTP commands have. `attempts` (1-10) exists on GET and HEAD only:
they are safe to repeat.
"""

from __future__ import annotations

from typing import Any

from connector_http.command import HttpCommand


class GetRequestV2(HttpCommand):
    method = "GET"

    def __init__(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        basic_auth_username: str | None = None,
        basic_auth_password: str | None = None,
        attempts: int | None = None,
        include_response_headers: bool | None = None,
    ) -> None:
        super().__init__(
            url=url,
            headers=headers,
            params=params,
            basic_auth_username=basic_auth_username,
            basic_auth_password=basic_auth_password,
            attempts=attempts,
            include_response_headers=include_response_headers,
        )


class HeadRequestV2(GetRequestV2):
    method = "HEAD"
    # Its parent's arguments, in its parent's order (BPMN files store them).


class PostRequestV2(HttpCommand):
    method = "POST"

    def __init__(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        data: Any = None,
        basic_auth_username: str | None = None,
        basic_auth_password: str | None = None,
        body_format: str | None = None,
        include_response_headers: bool | None = None,
    ) -> None:
        super().__init__(
            url=url,
            headers=headers,
            data=data,
            basic_auth_username=basic_auth_username,
            basic_auth_password=basic_auth_password,
            body_format=body_format,
            include_response_headers=include_response_headers,
        )


class PutRequestV2(PostRequestV2):
    method = "PUT"
    # Its parent's arguments, in its parent's order (BPMN files store them).


class PatchRequestV2(PostRequestV2):
    method = "PATCH"
    # Its parent's arguments, in its parent's order (BPMN files store them).


class DeleteRequestV2(HttpCommand):
    method = "DELETE"

    def __init__(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        data: Any = None,
        basic_auth_username: str | None = None,
        basic_auth_password: str | None = None,
        body_format: str | None = None,
        include_response_headers: bool | None = None,
    ) -> None:
        super().__init__(
            url=url,
            headers=headers,
            params=params,
            data=data,
            basic_auth_username=basic_auth_username,
            basic_auth_password=basic_auth_password,
            body_format=body_format,
            include_response_headers=include_response_headers,
        )
