"""What a typeahead category may be called: it is a file name in the archive and a segment of a URL.

Also imported by `make zip` (which names each bundled list after its file), so it runs on Python 3.9.
"""

from __future__ import annotations

MAX_LENGTH = 100
RULE = f"letters, digits, '-', '_' and '.', starting with a letter or digit, at most {MAX_LENGTH} characters"
_ALLOWED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def is_category_name(name: str) -> bool:
    return 0 < len(name) <= MAX_LENGTH and name[0].isalnum() and all(char in _ALLOWED for char in name)
