"""When a record matches what someone typed, and the one order every list is kept in.

A record matches when its name, case-folded, starts with the prefix, case-folded (Unicode
caseless matching: "straße" finds "Strasse", "ÉCOLE" finds "école"). The prefix is literal
text: `%` and `_` are characters, not wildcards. Lists are sorted by the folded name, then the
name as written, then the other fields, so the matches of any prefix are one run of the sorted
list and a lookup is a binary search, not a scan.

Also imported by `make zip` (which sorts the lists it bundles), so it runs on Python 3.9.
"""

from __future__ import annotations

from typing import Any

_unicodedata: Any = None


def fold(text: str) -> str:
    """`text` as it is compared: case-folded, and in NFC so that composed and decomposed
    accents (what macOS keyboards send) compare equal."""
    folded = text.casefold()
    if folded.isascii():
        return folded  # almost every prefix, and most names: no Unicode tables needed
    global _unicodedata
    if _unicodedata is None:
        import unicodedata

        _unicodedata = unicodedata
    return str(_unicodedata.normalize("NFC", _unicodedata.normalize("NFC", text).casefold()))
