"""What the auth routes answer: redirects, and short text pages when there is nowhere safe to go.

These routes are browser navigations, so their errors are pages for a person
(text, with a status that fits), not the JSON envelope SpiffArena's backend reads.
"""

from __future__ import annotations

from ..messages import Headers, Response

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


def page(status: int, code: str, message: str, cookies: tuple[str, ...] = ()) -> Response:
    text = f"{message}\n\n(error: {code})\n"
    response = Response(
        status, text.encode(), content_type="text/plain; charset=utf-8", headers=_headers(cookies)
    )
    return response


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
