"""What really went wrong in a failed request, told without the URL.

requests and urllib3 wrap a socket error in several layers whose messages quote
the URL (and with it any secret in its query); the innermost standard-library
exception says what happened and names no URL.
"""

from __future__ import annotations


def chain(error: BaseException) -> list[BaseException]:
    """`error` and every exception it wraps (causes, contexts, urllib3's reasons, args)."""
    seen: list[BaseException] = []
    pending = [error]
    while pending and len(seen) < 20:
        current = pending.pop(0)
        if any(current is known for known in seen):
            continue
        seen.append(current)
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
        pending += [item for item in linked if isinstance(item, BaseException)]
    return seen


def root_cause(error: BaseException) -> str:
    """The innermost socket- or protocol-level exception, as `Type: message`; else the type's name."""
    for item in reversed(chain(error)):
        if type(item).__module__ in ("builtins", "socket", "ssl", "http.client") and str(item):
            return f"{type(item).__name__}: {item}"
    return type(error).__name__
