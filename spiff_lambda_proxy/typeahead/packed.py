"""One list in the form a lookup reads without loading it: sorted keys, a block index, shared JSON.

`make zip` writes every bundled list in this form (150,000 cities in about 2.2 MB) and the S3
source writes a list it fetched the same way in memory, so one lookup serves them all. A lookup
maps the file and reads only what it needs: a binary search over the first key of each block of
`BLOCK` records, the keys of one or two blocks, and the JSON of the records it answers. Nothing is
parsed into Python objects up front, so the first lookup costs about what later ones do.

Layout (integers little-endian):

    MAGIC, u32 header length, the header (JSON), then its sections, each at the offset it gives:
    keys     each record's key, as the text of a JSON string (so never a line break), then "\\n"
    blocks   u32 offset into keys of records 0, BLOCK, 2*BLOCK, ..., then the length of keys
    refs     per record, the index (u16 or u32) of its value
    values   the distinct JSON fragments records end with, one after the other
    offsets  u32 offset of each value in values, then the length of values

A record of the name shape is answered as `{"name":"<key>"<value>}` (the value holds the other
fields, `,"state":"...","country":"..."`); a data store row (the result shape) as its value.
The writer runs in `make zip` too, so this module runs on Python 3.9.
"""

from __future__ import annotations

import json
import os
import struct
from typing import TYPE_CHECKING, Any

from .matching import fold

if TYPE_CHECKING:
    from .records import Item, TypeaheadList

# The two shapes of a list: records answered whole with their `name` first (a name and its other
# fields), or data store rows whose `result` is the answer.
NAME_SHAPE = "name"
RESULT_SHAPE = "result"
MAGIC = b"spiff-typeahead\n"
FORMAT_VERSION = 1
BLOCK = 32
_U32 = struct.Struct("<I")
_REF_CODES = {2: "H", 4: "I"}
_NAME_OPENING = b'{"name":"'


class FormatError(ValueError):
    """Not a list in this form (or of another version of it)."""


def pack(typeahead_list: TypeaheadList) -> bytes:
    """The list in this form: sorted (matching.py's order) and without repeated records."""
    items = list(dict.fromkeys(typeahead_list.items))  # one copy of each record
    items.sort(key=_order)
    values: dict[str, int] = {}
    refs = [values.setdefault(item.fragment, len(values)) for item in items]
    keys = bytearray()
    blocks = []
    for index, item in enumerate(items):
        if index % BLOCK == 0:
            blocks.append(len(keys))
        keys += _json_string(item.key) + b"\n"
    blocks.append(len(keys))
    encoded_values = [fragment.encode("utf-8") for fragment in values]
    value_offsets = [0]
    for value in encoded_values:
        value_offsets.append(value_offsets[-1] + len(value))
    ref_size = 2 if len(values) <= 0x10000 else 4
    sections = {
        "keys": bytes(keys),
        "blocks": _u32s(blocks),
        "refs": struct.pack(f"<{len(refs)}{_REF_CODES[ref_size]}", *refs),
        "values": b"".join(encoded_values),
        "offsets": _u32s(value_offsets),
    }
    header: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "shape": typeahead_list.shape,
        "count": len(items),
        "block": BLOCK,
        "ref_size": ref_size,
    }
    # The header's length depends on the offsets it holds: lay it out with room for them first.
    start = len(MAGIC) + 4 + len(json.dumps({**header, "sections": {n: [2**32, 2**32] for n in sections}}))
    layout = {}
    position = start
    for name, section in sections.items():
        layout[name] = [position, len(section)]
        position += len(section)
    encoded_header = json.dumps({**header, "sections": layout}, separators=(",", ":")).encode()
    padding = b" " * (start - len(MAGIC) - 4 - len(encoded_header))
    return b"".join([MAGIC, _U32.pack(start - len(MAGIC) - 4), encoded_header, padding, *sections.values()])


class PackedList:
    """A list in this form, over any buffer: a memory map of a bundled file, or bytes from S3."""

    def __init__(self, buffer: Any) -> None:
        if bytes(buffer[: len(MAGIC)]) != MAGIC:
            raise FormatError("not a typeahead list made by make zip")
        (length,) = _U32.unpack_from(buffer, len(MAGIC))
        header = json.loads(bytes(buffer[len(MAGIC) + 4 : len(MAGIC) + 4 + length]))
        if header.get("version") != FORMAT_VERSION:
            raise FormatError(f"a typeahead list of format {header.get('version')}, not {FORMAT_VERSION}")
        self._buffer = buffer
        self.shape: str = header["shape"]
        self.count: int = header["count"]
        self._block: int = header["block"]
        self._ref_size: int = header["ref_size"]
        self._ref_code = _REF_CODES[self._ref_size]
        # Values many records share (a city's state and country) are read once; a list whose
        # records are all different keeps nothing.
        self._value_cache: dict[int, bytes] = {}
        self._cache_values = (header["sections"]["offsets"][1] // 4 - 1) * 2 <= self.count
        sections = header["sections"]
        self._keys = sections["keys"][0]
        self._blocks = sections["blocks"][0]
        self._block_count = sections["blocks"][1] // 4 - 1
        self._refs = sections["refs"][0]
        self._values = sections["values"][0]
        self._offsets = sections["offsets"][0]
        self._named = self.shape == NAME_SHAPE
        if self.shape not in (NAME_SHAPE, RESULT_SHAPE):
            raise FormatError(f"a typeahead list of an unknown shape {self.shape!r}")

    @classmethod
    def open(cls, path: str) -> PackedList:
        """The file mapped into memory, read only: pages are read as lookups touch them."""
        import mmap

        with open(path, "rb") as file:
            if os.fstat(file.fileno()).st_size == 0:
                raise FormatError("the file is empty")
            return cls(mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ))

    def lookup(self, folded_prefix: str, limit: int) -> list[bytes]:
        """The JSON of the first `limit` records whose folded key starts with `folded_prefix`."""
        found: list[bytes] = []
        if limit <= 0 or not self.count:
            return found
        # The last block whose first key sorts before the prefix holds the first match, if any.
        low, high = 0, self._block_count
        while low < high:
            middle = (low + high) // 2
            if fold(self._first_key(middle)) < folded_prefix:
                low = middle + 1
            else:
                high = middle
        for block in range(max(low - 1, 0), self._block_count):
            raw_keys, keys, refs = self._read_block(block)
            for raw, key, ref in zip(raw_keys, keys, refs):  # noqa: B905 - equal lengths; 3.9 has no strict
                folded = key.casefold()
                if not folded.isascii():
                    folded = fold(key)
                if folded < folded_prefix:
                    continue  # before the run of matches: only in the first block
                if not folded.startswith(folded_prefix):
                    return found
                value = self._value_cache.get(ref) if self._cache_values else None
                if value is None:
                    value = self._value(ref)
                    if self._cache_values:
                        self._value_cache[ref] = value
                found.append(b"".join((_NAME_OPENING, raw, b'"', value, b"}")) if self._named else value)
                if len(found) >= limit:
                    return found
        return found

    def _read_block(self, block: int) -> tuple[list[bytes], list[str], tuple[int, ...]]:
        """The raw keys, keys and value refs of one block's records."""
        start, end = struct.unpack_from("<II", self._buffer, self._blocks + 4 * block)
        raw = bytes(self._buffer[self._keys + start : self._keys + end - 1])
        text = raw.decode("utf-8")
        keys = [_key_text(line) for line in text.split("\n")] if "\\" in text else text.split("\n")
        first = block * self._block
        count = min(self._block, self.count - first)
        refs = struct.unpack_from(
            f"<{count}{self._ref_code}", self._buffer, self._refs + self._ref_size * first
        )
        return raw.split(b"\n"), keys, refs

    def _first_key(self, block: int) -> str:
        (start,) = _U32.unpack_from(self._buffer, self._blocks + 4 * block)
        start += self._keys
        return _key_text(bytes(self._buffer[start : self._buffer.find(b"\n", start)]).decode("utf-8"))

    def _value(self, ref: int) -> bytes:
        start, end = struct.unpack_from("<II", self._buffer, self._offsets + 4 * ref)
        return bytes(self._buffer[self._values + start : self._values + end])


def _order(item: Item) -> tuple[str, str, tuple[str, ...], str]:
    return (fold(item.key), item.key, item.tie, item.fragment)


def _json_string(text: str) -> bytes:
    """The inside of `text`'s JSON string literal: the text itself unless it needs escapes."""
    from .records import encode  # the writer's: lookups never need it

    return encode(text)[1:-1].encode("utf-8")


def _key_text(text: str) -> str:
    """A key as text, from the inside of its JSON string literal."""
    if "\\" in text:
        decoded: str = json.loads(f'"{text}"')
        return decoded
    return text


def _u32s(values: list[int]) -> bytes:
    return struct.pack(f"<{len(values)}I", *values)
