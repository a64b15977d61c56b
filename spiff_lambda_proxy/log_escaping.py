"""Log lines nobody can forge: control characters in what is logged are shown escaped, once, here.

Ids, paths and error codes reach log records from requests, connectors and upstreams. A newline
in one would start a line of the sender's choosing; an escape sequence would repaint a terminal; a
bidi override would show the text in another order. `EscapeFilter` rewrites every record before a
handler formats it: the message (with its arguments), the extra fields (Lambda's JSON format makes
them fields of their own) and the exception's text, each control or format character (Unicode
categories Cc, Cf, Zl, Zp: CR, LF, TAB, ESC, NEL, U+2028, U+2029, ...) written as its Python escape
(`\\n`, `\\x1b`, `\\u2028`), so Lambda's text and JSON formats and `make serve`'s output show the
same, one record per line. `install()` puts it on the handlers of the root logger, where Lambda's
runtime (awslambdaric) and `make serve` attach theirs; loggers of connectors propagate there too.
"""

from __future__ import annotations

import logging
from typing import Any

# The attributes every LogRecord has; whatever else a record carries came in as `extra=`.
_RECORD_ATTRIBUTES = frozenset(
    {*logging.LogRecord("", 0, "", 0, "", (), None).__dict__, "message", "asctime", "_frame_type"}
)
_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def escaped(text: str) -> str:
    """`text` with every control, format, line or paragraph separator character escaped."""
    if text.isprintable():
        return text  # the usual case, answered in C
    import unicodedata  # only for text that has something to escape

    return "".join(
        char
        if char.isprintable() or unicodedata.category(char) == "Zs"
        else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


class EscapeFilter(logging.Filter):
    """Rewrites each record so that no part of it can break its line (always lets it through)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict) and not record.args:
            record.msg = _escaped_value(record.msg)  # Lambda's JSON format logs a dict as fields
        else:
            record.msg, record.args = escaped(record.getMessage()), ()
        for name, value in record.__dict__.items():
            if name not in _RECORD_ATTRIBUTES:
                record.__dict__[name] = _escaped_value(value)
        if record.exc_info and record.exc_info[1] is not None and record.exc_text is None:
            error = record.exc_info[1]
            # Formatters that build the traceback themselves use this text instead.
            record.exc_text = _traceback_text(error)
            shown = _text_of(error)
            if escaped(shown) != shown:
                # Lambda's JSON formatter reads the exception itself (errorMessage): show it one that
                # says the same, escaped. Its type and stack trace stay those of the original.
                record.exc_info = (record.exc_info[0], _EscapedError(escaped(shown)), record.exc_info[2])
        return True


class _EscapedError(Exception):
    """Stands in for an exception whose message would break a log line."""


_FILTER = EscapeFilter()


def install() -> None:
    """Escape what reaches every handler of the root logger (once per handler; cheap to repeat)."""
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


def _escaped_value(value: Any) -> Any:
    if isinstance(value, str):
        return escaped(value)
    if isinstance(value, dict):
        return {_escaped_value(key): _escaped_value(item) for key, item in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_escaped_value(item) for item in value)
    return value


def _text_of(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:  # a broken __str__ must not cost the record
        return f"<{type(error).__name__}: unprintable>"


def _traceback_text(error: BaseException) -> str:
    """The traceback `logging` would print, with what each exception says escaped (its code lines
    and file names come from the source and keep their layout)."""
    import traceback

    blocks: list[str] = []
    current: traceback.TracebackException | None = traceback.TracebackException.from_exception(error)
    while current is not None:
        said = "\n".join(escaped(line.rstrip("\n")) for line in current.format_exception_only())
        stack = "".join(current.stack.format())
        blocks.append((f"Traceback (most recent call last):\n{stack}" if stack else "") + said)
        if current.__cause__ is not None:
            blocks.append(_CAUSE)
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            blocks.append(_CONTEXT)
            current = current.__context__
        else:
            current = None
    return "".join(reversed(blocks))
