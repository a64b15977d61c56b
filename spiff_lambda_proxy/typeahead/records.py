"""A team's list read from its file: JSON or CSV, checked record by record.

- JSON: an array of objects, each with a text `name`; the object is the record.
- JSON in the shape of SpiffArena's TypeaheadDataStore: objects `{"search_term": ..., "result": ...}`;
  prefixes match `search_term` and the answer is `result`, as SpiffArena's own lookup does.
- CSV: a header row with a `name` column; each row is a record of its columns, values kept as text.

A bad file is a `ListError` whose message names the file and the record or line, so `make zip`
stops before it builds anything, and an S3 list answers what is wrong with it. Each record is
encoded as JSON once, here: lookups answer those bytes as they are.

Also imported by `make zip`, so it runs on Python 3.9.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, NamedTuple

from .packed import NAME_SHAPE, RESULT_SHAPE

NAME = "name"
SEARCH_TERM = "search_term"
RESULT = "result"
# How a list's file says what it is: its name's ending, in any case.
KINDS = {".json": "json", ".csv": "csv"}


class ListError(ValueError):
    """A list that cannot be served as it is; the message says where and why."""


class Item(NamedTuple):
    # What prefixes are matched against: the name, or a data store row's search_term.
    key: str
    # How records with the same key are ordered: the values of their other fields.
    tie: tuple[str, ...]
    # The rest of the answer as JSON text: `,"state":"...","country":"..."` after the name for
    # records of the name shape; the whole `result` for data store rows.
    fragment: str


class TypeaheadList(NamedTuple):
    shape: str
    items: list[Item]


def kind_of(filename: str) -> str | None:
    """ "json" or "csv" by the file's ending, else None."""
    dot = filename.rfind(".")
    return KINDS.get(filename[dot:].lower()) if dot > 0 else None


def read_list(data: bytes, kind: str, source: str) -> TypeaheadList:
    """The list in `data` (a file's bytes); `source` names it in messages."""
    text = _text(data, source)
    if kind == "csv":
        return from_csv(text, source)
    return from_json(text, source)


def from_json(text: str, source: str) -> TypeaheadList:
    try:
        document = json.loads(text, parse_constant=_no_constant)
    except ValueError as error:
        where = (
            f" (line {error.lineno}, column {error.colno})" if isinstance(error, json.JSONDecodeError) else ""
        )
        message = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
        raise ListError(f"{source} is not valid JSON: {message}{where}.") from None
    if not isinstance(document, list):
        raise ListError(
            f'{source} must be a JSON array of records (objects with a text "name"), not {_kind(document)}.'
        )
    first = document[0] if document else None
    data_store = isinstance(first, dict) and SEARCH_TERM in first and RESULT in first and NAME not in first
    items = []
    for number, record in enumerate(document, 1):
        if not isinstance(record, dict):
            raise ListError(f"{source}: record {number} is {_kind(record)}, not an object.")
        if data_store:
            items.append(_data_store_item(record, number, source))
        else:
            items.append(name_item(record.items(), f"{source}: record {number}", _hint(record)))
    return TypeaheadList(RESULT_SHAPE if data_store else NAME_SHAPE, items)


def from_csv(text: str, source: str) -> TypeaheadList:
    import csv
    import io

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip() for name in next(reader, [])]
        if NAME not in header:
            shown = ", ".join(header) if any(header) else "nothing"
            raise ListError(
                f"{source}: the header row (line 1) must have a column called {NAME}; it has {shown}."
            )
        for column, name in enumerate(header, 1):
            if not name:
                raise ListError(f"{source}: column {column} of the header row (line 1) has no name.")
            if header.index(name) != column - 1:
                raise ListError(f"{source}: the header row (line 1) names the column {name} twice.")
        items = []
        for row in reader:
            if not row:
                continue  # a blank line
            if len(row) != len(header):
                raise ListError(
                    f"{source}, line {reader.line_num}: {len(row)} values, but the header row has "
                    f"{len(header)} columns."
                )
            fields = zip(header, row)  # noqa: B905 - lengths checked above; make zip's Python 3.9 has no strict
            items.append(name_item(fields, f"{source}, line {reader.line_num}"))
    except csv.Error as error:
        raise ListError(f"{source}, line {reader.line_num}: not valid CSV: {error}.") from None
    return TypeaheadList(NAME_SHAPE, items)


def encode(value: Any) -> str:
    """Compact JSON text, as the proxy writes every answer (`messages.dump_json`)."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (from a \ud800 escape) has no UTF-8 form; its JSON escape does.
        text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    return text


def name_item(fields: Iterable[tuple[str, Any]], where: str, hint: str = "") -> Item:
    """A record of the name shape from its fields in order; `where` and `hint` go into messages."""
    name: Any = None
    tie = []
    fragment = []
    for field, value in fields:
        if field == NAME:
            name = value
            continue
        tie.append(value if isinstance(value, str) else encode(value))
        fragment.append(f",{encode(field)}:{encode(value)}")
    if name is None:
        raise ListError(f"{where} has no {NAME!r}{hint}.")
    if not isinstance(name, str):
        raise ListError(f"{where}: its {NAME!r} is {_kind(name)}, not text.")
    if not name:
        raise ListError(f"{where}: its {NAME!r} is empty.")
    return Item(name, tuple(tie), "".join(fragment))


def _data_store_item(record: dict[str, Any], number: int, source: str) -> Item:
    where = f"{source}: record {number}"
    term = record.get(SEARCH_TERM)
    if SEARCH_TERM not in record or RESULT not in record:
        raise ListError(
            f"{where} has no {SEARCH_TERM if SEARCH_TERM not in record else RESULT!r}: the first record "
            f"is a data store row ({SEARCH_TERM!r} and {RESULT!r}), so every record must be one."
        )
    if not isinstance(term, str) or not term:
        raise ListError(f"{where}: its {SEARCH_TERM!r} is {_kind(term)}, not text.")
    fragment = encode(record[RESULT])
    return Item(term, (fragment,), fragment)


def _hint(record: dict[str, Any]) -> str:
    if SEARCH_TERM in record or RESULT in record:
        return f" (a data store row needs both {SEARCH_TERM!r} and {RESULT!r}, and so must the first record)"
    return ""


def _text(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ListError(f"{source} is not UTF-8 text (line {line}, byte {error.start + 1}).") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "empty text" if not value else "text"
    if isinstance(value, list):
        return "an array"
    return "an object"
