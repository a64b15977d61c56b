"""The v1 commands of connector-http, for diagrams from before SpiffArena's built-in
HTTP commands: the proxy answers with the upstream's status and its body as text.

The same engine as v2 runs them (timeouts, destination guard, size limit); a
failure answers `{"error": {"error_code", "message"}}` with a fitting status.
"""

from __future__ import annotations

from typing import Any

from connector_http.command import HttpCommand


class GetRequest(HttpCommand):
    method = "GET"
    result_version = 1

    def __init__(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        basic_auth_username: str | None = None,
        basic_auth_password: str | None = None,
    ) -> None:
        super().__init__(
            url=url,
            headers=headers,
            params=params,
            basic_auth_username=basic_auth_username,
            basic_auth_password=basic_auth_password,
        )


class PostRequest(HttpCommand):
    method = "POST"
    result_version = 1

    def __init__(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        basic_auth_username: str | None = None,
        basic_auth_password: str | None = None,
        data: Any = None,
    ) -> None:
        super().__init__(
            url=url,
            headers=headers,
            basic_auth_username=basic_auth_username,
            basic_auth_password=basic_auth_password,
            data=data,
        )
