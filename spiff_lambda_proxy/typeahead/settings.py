"""Settings of typeahead lists (documented in `..settings.SETTINGS`, with the others)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NamedTuple

from ..errors import ConfigurationError
from ..settings import env_list, number, read_once, whole_number
from .names import RULE, is_category_name

PUBLIC = "CONNECTOR_PROXY_TYPEAHEAD_PUBLIC"
S3_LISTS = "CONNECTOR_PROXY_TYPEAHEAD_S3"
_NONE = "none"


class S3Location(NamedTuple):
    bucket: str
    key: str
    kind: str  # "json" or "csv"

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class TypeaheadSettings(NamedTuple):
    # Categories answered without the API key; None: the built-in ones.
    public: frozenset[str] | None
    s3_lists: dict[str, S3Location]
    s3_ttl: float
    s3_max_bytes: int

    @classmethod
    def current(cls) -> TypeaheadSettings:
        return read_once(cls, cls.from_environ)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> TypeaheadSettings:
        env = os.environ if environ is None else environ
        public = env_list(env.get(PUBLIC))
        return cls(
            public=None if not public else frozenset(p for p in public if p.lower() != _NONE),
            s3_lists=_s3_lists(env_list(env.get(S3_LISTS))),
            s3_ttl=number(env, "CONNECTOR_PROXY_TYPEAHEAD_S3_TTL_SECONDS"),
            s3_max_bytes=whole_number(env, "CONNECTOR_PROXY_TYPEAHEAD_S3_MAX_BYTES"),
        )


def _s3_lists(entries: tuple[str, ...]) -> dict[str, S3Location]:
    lists: dict[str, S3Location] = {}
    for entry in entries:
        from .records import kind_of  # only with S3 lists: bundled ones need no file reader

        category, _, url = (part.strip() for part in entry.partition("="))
        bucket, _, key = url.removeprefix("s3://").partition("/")
        if not url.startswith("s3://") or not bucket or not key:
            raise ConfigurationError(
                f"{S3_LISTS} must be comma-separated <category>=s3://<bucket>/<key>; {entry!r} is not."
            )
        if not is_category_name(category):
            raise ConfigurationError(f"{S3_LISTS}: {category!r} cannot be a category name ({RULE}).")
        kind = kind_of(key)
        if kind is None:
            raise ConfigurationError(
                f"{S3_LISTS}: the object for {category} must end in .json or .csv (its format), not {key!r}."
            )
        if category in lists:
            raise ConfigurationError(f"{S3_LISTS} names the category {category} twice.")
        lists[category] = S3Location(bucket, key, kind)
    return lists
