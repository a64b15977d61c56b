"""What the auth routes answer: redirects, and short text pages when there is nowhere safe to go.

These routes are browser navigations, so their errors are pages for a person
(text, with a status that fits), not the JSON envelope SpiffArena's backend reads.
Two kinds of failure: a `FlowError` ends the sign-in with a page (nowhere safe to
send the browser), a `SignInFailed` goes back to SpiffArena as `error=`.
"""

from __future__ import annotations

from typing import Any

from ..messages import Headers, Response

_MAX_ERROR_CODE = 100
_MAX_ERROR_DESCRIPTION = 400

# Nothing here may be cached, nor leak the URL (codes, state) to the next site.
_COMMON_HEADERS = (
    ("Cache-Control", "no-store"),
    ("Pragma", "no-cache"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
)


class FlowError(Exception):
    """Ends the sign-in with a page: something is wrong and the browser has nowhere safe to go."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class SignInFailed(Exception):
    """The provider (or the way to it) did not give a token; sent back to SpiffArena as `error=`."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = clean(error, _MAX_ERROR_CODE) or "server_error"
        self.description = clean(description, _MAX_ERROR_DESCRIPTION)


def clean(text: Any, limit: int = _MAX_ERROR_DESCRIPTION) -> str:
    """Provider-supplied text reduced to what may appear in a URL and a page: printable ASCII, bounded."""
    return "".join(c for c in str(text or "") if " " <= c <= "~")[:limit].strip()


def page(status: int, code: str, message: str, cookies: tuple[str, ...] = ()) -> Response:
    text = f"{message}\n\n(error: {code})\n"
    return Response(
        status, text.encode(), content_type="text/plain; charset=utf-8", headers=_headers(cookies)
    )


def error_page(error: FlowError, cookies: tuple[str, ...] = ()) -> Response:
    return page(error.status, error.code, error.message, cookies)


def redirect(location: str, cookies: tuple[str, ...] = ()) -> Response:
    response = Response(302, headers=_headers(cookies))
    response.headers.set("Location", location)
    return response


def _headers(cookies: tuple[str, ...]) -> Headers:
    headers = Headers(_COMMON_HEADERS)
    for cookie in cookies:
        headers.add("Set-Cookie", cookie)
    return headers
