"""S3 commands: put, get, list and delete objects; presigned URLs."""

from __future__ import annotations

from typing import Any

from ..arguments import choice, integer, optional_text, text
from ..base import AwsCommand
from ..clients import Aws
from ..envelopes import success
from ..errors import CommandError
from ..jsonsafe import jsonable
from ..s3_content import ENCODINGS, download, upload

MIB = 1024 * 1024
# Base64 grows content by 4/3 and Lambda answers at most 6 MB: 4 MiB becomes ~5.3 MB. Text
# escaped twice can grow more; the answer is measured before it is returned (AwsCommand).
DEFAULT_MAX_BYTES = 3 * MIB
MAX_BYTES = 4 * MIB
DEFAULT_MAX_KEYS = 100
MAX_KEYS = 1000  # S3's own page limit
DEFAULT_EXPIRES_IN = 3600
MAX_EXPIRES_IN = 7 * 24 * 3600  # S3 refuses signatures valid for longer
PRESIGN_METHODS = {"get": "GET", "put": "PUT"}


def _etag(value: Any) -> str | None:
    return str(value).strip('"') if value else None


class S3PutObject(AwsCommand):
    """Store content in s3://bucket/key: text, base64 (encoding 'base64') or a file data URL."""

    service = "S3"

    def __init__(
        self,
        bucket: str,
        key: str,
        content: Any,
        content_type: str | None = None,
        encoding: str | None = None,
        region: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.key = key
        self.content = content
        self.content_type = content_type
        self.encoding = encoding
        self.region = region

    def run(self, aws: Aws) -> dict[str, Any]:
        bucket, key = text("bucket", self.bucket), text("key", self.key)
        encoding = choice("encoding", self.encoding, ENCODINGS)
        content_type = optional_text("content_type", self.content_type)
        payload = upload("content", self.content, encoding, content_type, key)
        answer = aws.client("s3").put_object(
            Bucket=bucket, Key=key, Body=payload.data, ContentType=payload.content_type
        )
        return success(
            {
                "bucket": bucket,
                "key": key,
                "size": len(payload.data),
                "content_type": payload.content_type,
                "etag": _etag(answer.get("ETag")),
                "version_id": answer.get("VersionId"),
            }
        )


class S3GetObject(AwsCommand):
    """Read s3://bucket/key: text when it is text, else base64; objects over max_bytes are refused."""

    service = "S3"
    too_large_advice = (
        "Text full of quotes (JSON, say) nearly doubles; read it with encoding 'base64', which grows "
        "by exactly a third, or lower max_bytes, or hand out a link with S3PresignUrl."
    )

    def __init__(
        self,
        bucket: str,
        key: str,
        encoding: str | None = None,
        max_bytes: int | None = None,
        region: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.key = key
        self.encoding = encoding
        self.max_bytes = max_bytes
        self.region = region

    def run(self, aws: Aws) -> dict[str, Any]:
        bucket, key = text("bucket", self.bucket), text("key", self.key)
        encoding = choice("encoding", self.encoding, ENCODINGS)
        limit = integer("max_bytes", self.max_bytes, DEFAULT_MAX_BYTES, 1, MAX_BYTES)
        answer = aws.client("s3").get_object(Bucket=bucket, Key=key)
        size = int(answer.get("ContentLength") or 0)
        body = answer["Body"]
        if size > limit:
            body.close()  # the content is never read
            raise CommandError(
                "ObjectTooLarge",
                f"s3://{bucket}/{key} is {size} bytes; this command returns at most {limit} "
                f"(max_bytes, up to {MAX_BYTES}, because Lambda answers at most 6 MB). "
                "Use S3PresignUrl to hand out a download link instead.",
                413,
                {"bucket": bucket, "key": key, "size": size, "max_bytes": limit},
            )
        try:
            data = body.read()
        finally:
            body.close()
        content_type = str(answer.get("ContentType") or "application/octet-stream")
        return success(
            {
                "bucket": bucket,
                "key": key,
                **download(data, content_type, encoding, key),
                "content_type": content_type,
                "size": len(data),
                "etag": _etag(answer.get("ETag")),
                "last_modified": jsonable(answer.get("LastModified")),
                "version_id": answer.get("VersionId"),
                "metadata": answer.get("Metadata") or {},
            }
        )


class S3ListObjects(AwsCommand):
    """List objects under a prefix, one page at a time (pass next_continuation_token back for more)."""

    service = "S3"

    def __init__(
        self,
        bucket: str,
        prefix: str | None = None,
        delimiter: str | None = None,
        max_keys: int | None = None,
        continuation_token: str | None = None,
        region: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.delimiter = delimiter
        self.max_keys = max_keys
        self.continuation_token = continuation_token
        self.region = region

    def run(self, aws: Aws) -> dict[str, Any]:
        bucket = text("bucket", self.bucket)
        params: dict[str, Any] = {
            "Bucket": bucket,
            "MaxKeys": integer("max_keys", self.max_keys, DEFAULT_MAX_KEYS, 1, MAX_KEYS),
        }
        if self.prefix:
            params["Prefix"] = text("prefix", self.prefix)
        if self.delimiter:
            params["Delimiter"] = text("delimiter", self.delimiter)
        token = optional_text("continuation_token", self.continuation_token)
        if token:
            params["ContinuationToken"] = token
        answer = aws.client("s3").list_objects_v2(**params)
        objects = [
            {
                "key": item["Key"],
                "size": item.get("Size"),
                "last_modified": jsonable(item.get("LastModified")),
                "etag": _etag(item.get("ETag")),
                "storage_class": item.get("StorageClass"),
            }
            for item in answer.get("Contents", [])
        ]
        return success(
            {
                "bucket": bucket,
                "prefix": params.get("Prefix", ""),
                "objects": objects,
                "common_prefixes": [item["Prefix"] for item in answer.get("CommonPrefixes", [])],
                "key_count": answer.get("KeyCount", len(objects)),
                "is_truncated": bool(answer.get("IsTruncated")),
                "next_continuation_token": answer.get("NextContinuationToken"),
            }
        )


class S3DeleteObject(AwsCommand):
    """Delete s3://bucket/key (S3 answers success for a key that does not exist)."""

    service = "S3"

    def __init__(self, bucket: str, key: str, region: str | None = None) -> None:
        self.bucket = bucket
        self.key = key
        self.region = region

    def run(self, aws: Aws) -> dict[str, Any]:
        bucket, key = text("bucket", self.bucket), text("key", self.key)
        answer = aws.client("s3").delete_object(Bucket=bucket, Key=key)
        return success(
            {
                "bucket": bucket,
                "key": key,
                "deleted": True,
                "version_id": answer.get("VersionId"),
                "delete_marker": bool(answer.get("DeleteMarker")),
            }
        )


class S3PresignUrl(AwsCommand):
    """A URL that lets anyone holding it GET (download) or PUT (upload) s3://bucket/key until it expires."""

    service = "S3"

    def __init__(
        self,
        bucket: str,
        key: str,
        method: str | None = None,
        expires_in: int | None = None,
        content_type: str | None = None,
        region: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.key = key
        self.method = method
        self.expires_in = expires_in
        self.content_type = content_type
        self.region = region

    def run(self, aws: Aws) -> dict[str, Any]:
        import datetime

        bucket, key = text("bucket", self.bucket), text("key", self.key)
        method = choice("method", self.method, PRESIGN_METHODS, default="GET")
        expires_in = integer("expires_in", self.expires_in, DEFAULT_EXPIRES_IN, 1, MAX_EXPIRES_IN)
        content_type = optional_text("content_type", self.content_type)
        params = {"Bucket": bucket, "Key": key}
        headers = {}
        if content_type and method == "PUT":
            # Signed into the URL: the upload must send the same Content-Type header.
            params["ContentType"] = content_type
            headers["Content-Type"] = content_type
        operation = "get_object" if method == "GET" else "put_object"
        url = aws.client("s3").generate_presigned_url(operation, Params=params, ExpiresIn=expires_in)
        expires_at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=expires_in)
        return success(
            {
                "url": url,
                "method": method,
                "bucket": bucket,
                "key": key,
                "expires_in": expires_in,
                "expires_at": expires_at.replace(microsecond=0).isoformat(),
                "headers": headers,
            }
        )
