"""A typeahead list kept in S3, so it can change without a deploy (`CONNECTOR_PROXY_TYPEAHEAD_S3`).

Read with the function's role on the first lookup and packed as `make zip` packs bundled lists,
then used for `CONNECTOR_PROXY_TYPEAHEAD_S3_TTL_SECONDS`. After that S3 is asked again with the
object's ETag, so an unchanged list is not downloaded again. If it cannot be read then (S3 down, the
object gone or broken), the last good copy keeps answering and the problem is logged; only a list
never read answers the error. Objects over `CONNECTOR_PROXY_TYPEAHEAD_S3_MAX_BYTES` are refused
before they are read, which bounds what one list costs in memory. boto3 is the runtime's, loaded
here on first use.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from .. import aws
from ..errors import ConfigurationError, ProxyError
from .packed import PackedList, pack
from .records import ListError, read_list
from .settings import S3Location

# One attempt and one retry: someone is typing and waits for the answer.
S3_TIMEOUTS = aws.Timeouts(connect=2.0, read=5.0, attempts=2)
# After a failed read, S3 is not asked again for this long (nor longer than the TTL), so a list that
# is missing does not cost an S3 request for every key someone types.
RETRY_AFTER_FAILURE_SECONDS = 15.0
_MISSING = frozenset({"NoSuchKey", "NoSuchBucket", "404", "NotFound"})
_NOT_MODIFIED = frozenset({"304", "NotModified"})
_DENIED = aws.DENIED | {
    "403",
    "Forbidden",
    "AllAccessDisabled",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
}

_clock = time.monotonic
logger = logging.getLogger(__name__)


class S3List:
    def __init__(self, category: str, location: S3Location, ttl: float, max_bytes: int) -> None:
        self.category = category
        self.location = location
        self.ttl = ttl
        self.max_bytes = max_bytes
        self._list: PackedList | None = None
        self._etag: str | None = None
        self._fresh_until = 0.0
        self._failure: ProxyError | None = None
        self._lock = threading.Lock()

    def lookup(self, folded_prefix: str, limit: int) -> list[bytes]:
        return self._current().lookup(folded_prefix, limit)

    def _current(self) -> PackedList:
        with self._lock:
            now = _clock()
            if now < self._fresh_until:
                if self._list is not None:
                    return self._list
                if self._failure is not None:
                    raise self._failure
            try:
                self._refresh()
            except ProxyError as error:
                self._fresh_until = now + min(self.ttl, RETRY_AFTER_FAILURE_SECONDS)
                if self._list is None:
                    self._failure = error
                    raise
                logger.warning(
                    "typeahead list %s: keeping the copy read earlier: %s", self.category, error.message
                )
                return self._list
            self._fresh_until = now + self.ttl
            assert self._list is not None
            return self._list

    def _refresh(self) -> None:
        try:
            from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError
        except ImportError:
            raise ConfigurationError(
                "CONNECTOR_PROXY_TYPEAHEAD_S3 needs boto3, which the AWS Lambda Python runtime provides; it "
                "is not installed here."
            ) from None
        url = self.location.url
        try:
            client = aws.client("s3", None, S3_TIMEOUTS)
            conditions = {"IfNoneMatch": self._etag} if self._etag and self._list is not None else {}
            answer = client.get_object(Bucket=self.location.bucket, Key=self.location.key, **conditions)
            data = self._read_body(answer)
        except ClientError as error:
            code = aws.error_code(error)
            if code in _NOT_MODIFIED:
                return  # the copy we have is the object as it is
            raise self._client_error(code) from None
        except (NoCredentialsError, NoRegionError) as error:
            raise ConfigurationError(
                f"The typeahead list {self.category} ({url}) cannot be read: {error}. On Lambda the "
                "function's role and region are used; elsewhere set AWS credentials and AWS_REGION."
            ) from None
        except BotoCoreError as error:
            raise ProxyError(
                f"The typeahead list {self.category} could not be read from {url}: S3 did not answer "
                f"({type(error).__name__}). Try again.",
                status=503,
                error_code="typeahead_list_unavailable",
            ) from None
        try:
            packed = PackedList(pack(read_list(data, self.location.kind, url)))
        except ListError as error:
            raise ProxyError(str(error), status=502, error_code="typeahead_list_invalid") from None
        logger.info("typeahead list %s read from S3: %d records", self.category, packed.count)
        self._list, self._etag, self._failure = packed, answer.get("ETag"), None

    def _read_body(self, answer: dict[str, Any]) -> bytes:
        body = answer["Body"]
        try:
            size = answer.get("ContentLength")
            if size is None or size <= self.max_bytes:
                data: bytes = body.read(self.max_bytes + 1)
                if len(data) <= self.max_bytes:
                    return data
        finally:
            body.close()
        raise ProxyError(
            f"The typeahead list {self.category} ({self.location.url}) is larger than "
            f"CONNECTOR_PROXY_TYPEAHEAD_S3_MAX_BYTES ({self.max_bytes} bytes): make it smaller, or raise the "
            "setting (and the function's memory: reading a list takes several times its size).",
            status=502,
            error_code="typeahead_list_too_large",
        )

    def _client_error(self, code: str) -> ProxyError:
        url, name = self.location.url, self.category
        if code in _MISSING:
            return ProxyError(
                f"The typeahead list {name} is read from {url}, which does not exist ({code}): upload it, "
                "or correct CONNECTOR_PROXY_TYPEAHEAD_S3.",
                status=502,
                error_code="typeahead_list_missing",
            )
        if code in _DENIED:
            return ProxyError(
                f"The typeahead list {name} cannot be read from {url}: access denied ({code}). Allow the "
                f"function's role s3:GetObject on arn:aws:s3:::{self.location.bucket}/{self.location.key} "
                "(without s3:ListBucket S3 also says this when the object does not exist).",
                status=502,
                error_code="typeahead_list_denied",
            )
        return ProxyError(
            f"The typeahead list {name} could not be read from {url}: S3 answered {code}. Try again.",
            status=503,
            error_code="typeahead_list_unavailable",
        )
