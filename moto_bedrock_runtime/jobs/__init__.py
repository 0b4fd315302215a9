"""Work Bedrock does later: batch inference jobs (batch.py) and async invocations
(async_invoke.py), plus what both need from moto's S3.

Jobs read their input from, and write their output to, moto's own S3 backend of the caller's
account (the same objects a test uploads and reads back with boto3), through the backend object
rather than HTTP, so they work alike in-process and on a server. Bedrock only reaches buckets of
the job's own Region; a bucket elsewhere is refused as Bedrock refuses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..moto_services import MissingBucket, S3Backend, get_partition, s3_backends

_S3_URI = re.compile(r"^s3://(?P<bucket>[^/]+)/?(?P<key>.*)$")
NO_BUCKET = "The S3 bucket {bucket} does not exist."
OTHER_REGION = (
    "The S3 bucket {bucket} is in {bucket_region}; Amazon Bedrock can only use buckets in "
    "{region}, the Region of the request."
)


class S3LocationError(Exception):
    """An S3 location a job cannot use; the message says why, in Bedrock's terms."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> S3Location:
        match = _S3_URI.match(uri)
        if not match:
            raise S3LocationError(f"{uri} is not an S3 URI.")
        return cls(match.group("bucket"), match.group("key"))

    def child(self, *parts: str) -> str:
        """A key under this location taken as a folder (`s3://b/out` and `s3://b/out/` alike)."""
        prefix = self.key.strip("/")
        return "/".join(([prefix] if prefix else []) + list(parts))


class S3Store:
    """One account's S3 as a job in `region` sees it."""

    def __init__(self, account_id: str, region: str) -> None:
        self.region = region
        self._backend: S3Backend = s3_backends[account_id][get_partition(region)]

    def check_bucket(self, bucket: str) -> None:
        """Raises S3LocationError unless the bucket exists in the job's Region."""
        try:
            found = self._backend.get_bucket(bucket)
        except MissingBucket as exc:
            raise S3LocationError(NO_BUCKET.format(bucket=bucket)) from exc
        if found.region_name != self.region:
            raise S3LocationError(
                OTHER_REGION.format(
                    bucket=bucket, bucket_region=found.region_name, region=self.region
                )
            )

    def objects(self, location: S3Location, suffix: str) -> list[tuple[str, bytes]]:
        """The object at the location's key, or else every object under it as a folder whose
        key ends with `suffix`, in key order."""
        self.check_bucket(location.bucket)
        exact = self._backend.get_object(location.bucket, location.key) if location.key else None
        if exact is not None:
            return [(location.key, exact.value)]
        bucket = self._backend.get_bucket(location.bucket)
        prefix = location.child() + "/" if location.key.strip("/") else ""
        keys, _, _, _ = self._backend.list_objects(bucket, prefix or None, None, None, None)
        return [(key.name, key.value) for key in keys if key.name.endswith(suffix)]

    def put(self, bucket: str, key: str, data: bytes) -> None:
        self._backend.put_object(bucket, key, data)
