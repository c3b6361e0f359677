"""Stored files: one small interface, a local-folder backend and an S3 backend.

Files live under generated keys (:func:`new_key`), never under a user's file name; the
original name stays in the database only (SECURITY F4). Writes are atomic: the bytes go to
a temporary file on the same filesystem and are moved into place with ``os.replace`` only
once complete, so a crash never leaves a partial file under a real key (I4); an upload over
its size limit is removed before :class:`TooLarge` is raised (F1). :meth:`Storage.sweep_temp`
removes what a killed process left behind.

Core module: imports only the stdlib, Flask and Werkzeug (boto3 lazily, for S3).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from flask import Flask, current_app
from werkzeug.exceptions import RequestEntityTooLarge

log = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
MAX_KEY_LENGTH = 512
TEMP_DIR = ".tmp"
_KEY_RE = re.compile(r"[a-z0-9_-]+(?:/[a-z0-9_-]+)*")


class TooLarge(RequestEntityTooLarge):
    """The stream was longer than ``max_bytes``; nothing was kept.

    A subclass of Werkzeug's 413 so that, if a route lets it through, the user gets the
    app's "file too large" page rather than a 500.
    """

    def __init__(self, max_bytes: int):
        super().__init__(f"The file is larger than the limit of {max_bytes} bytes.")
        self.max_bytes = max_bytes


class InvalidKey(ValueError):
    """A key outside the allowed shape (``[a-z0-9_-]`` segments separated by ``/``)."""


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    sha256: str


class Storage(Protocol):
    def save(self, key: str, stream: BinaryIO, *, max_bytes: int | None = None) -> StoredFile: ...
    def save_path(self, key: str, path: str) -> StoredFile: ...
    def open(self, key: str) -> BinaryIO: ...
    def read_range(self, key: str, start: int, end: int) -> bytes: ...
    def size(self, key: str) -> int: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def local_path(self, key: str) -> str | None: ...
    def sweep_temp(self, older_than_s: int = 3600) -> int: ...


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe relative key, else raise :class:`InvalidKey`."""
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or not _KEY_RE.fullmatch(key):
        raise InvalidKey(f"invalid storage key: {key!r}")
    return key


def new_key(prefix: str) -> str:
    """A fresh random key such as ``versions/ab/cd/<32 hex>`` (128 random bits)."""
    validate_key(prefix)
    token = secrets.token_hex(16)
    return f"{prefix}/{token[:2]}/{token[2:4]}/{token}"


def _check_range(start: int, end: int) -> None:
    if start < 0 or end < start:
        raise ValueError(f"invalid byte range {start}-{end}")


class _HashingReader:
    """Wraps a stream: hashes and counts what is read, raises TooLarge past ``max_bytes``.

    Deliberately not seekable, so boto3 reads it once, in order.
    """

    def __init__(self, stream: BinaryIO, max_bytes: int | None):
        self._stream = stream
        self._max = max_bytes
        self.hash = hashlib.sha256()
        self.size = 0
        self.exceeded = False

    def read(self, n: int | None = -1) -> bytes:
        if n is None or n < 0:
            return b"".join(iter(lambda: self.read(CHUNK_SIZE), b""))
        if self._max is not None:
            n = min(n, self._max - self.size + 1)  # one byte past the limit proves "too large"
        data = self._stream.read(n) or b""
        self.size += len(data)
        if self._max is not None and self.size > self._max:
            self.exceeded = True
            raise TooLarge(self._max)
        self.hash.update(data)
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False


# --------------------------------------------------------------------------- local folder


class LocalStorage:
    """Files under ``root``; temporary files under ``root/.tmp`` (same filesystem)."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).resolve()
        self.temp_dir = self.root / TEMP_DIR

    def path_for(self, key: str) -> Path:
        path = self.root.joinpath(*validate_key(key).split("/"))
        if os.path.commonpath([self.root, path]) != str(self.root):  # belt and braces
            raise InvalidKey(f"invalid storage key: {key!r}")
        return path

    def save(self, key: str, stream: BinaryIO, *, max_bytes: int | None = None) -> StoredFile:
        target = self.path_for(key)
        self.temp_dir.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=self.temp_dir, prefix="up-")
        reader = _HashingReader(stream, max_bytes)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := reader.read(CHUNK_SIZE):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp, target)
        except BaseException:
            _unlink(temp)
            raise
        _fsync_dir(target.parent)
        log.info("stored %s (%d bytes)", key, reader.size)
        return StoredFile(key, reader.size, reader.hash.hexdigest())

    def save_path(self, key: str, path: str) -> StoredFile:
        with open(path, "rb") as fh:
            return self.save(key, fh)

    def open(self, key: str) -> BinaryIO:
        return open(self.path_for(key), "rb")  # noqa: SIM115 - the caller closes it

    def read_range(self, key: str, start: int, end: int) -> bytes:
        _check_range(start, end)
        with self.open(key) as fh:
            fh.seek(start)
            return fh.read(end - start + 1)

    def size(self, key: str) -> int:
        return self.path_for(key).stat().st_size

    def exists(self, key: str) -> bool:
        return self.path_for(key).is_file()

    def delete(self, key: str) -> None:
        self.path_for(key).unlink(missing_ok=True)
        log.info("deleted %s", key)

    def local_path(self, key: str) -> str | None:
        return str(self.path_for(key))

    def sweep_temp(self, older_than_s: int = 3600) -> int:
        if not self.temp_dir.is_dir():
            return 0
        cutoff = time.time() - older_than_s
        removed = 0
        for entry in self.temp_dir.iterdir():
            try:
                if entry.is_file() and entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    removed += 1
            except FileNotFoundError:  # another sweeper got there first
                continue
        if removed:
            log.warning("swept %d leftover temporary upload file(s) from %s", removed, self.temp_dir)
        return removed


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _fsync_dir(path: Path) -> None:
    """Make the rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- S3


def _is_not_found(exc: Exception) -> bool:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    code = str(response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}


class S3Storage:
    """An S3-compatible bucket. Objects appear only when an upload completes (atomic).

    ``client`` may be given (tests); otherwise a boto3 client is made on first use.
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        client: Any = None,
    ):
        if not bucket:
            raise ValueError("S3 storage needs REVUE_S3_BUCKET")
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.region = region
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                import boto3  # optional dependency, only needed for S3
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise RuntimeError("REVUE_STORAGE=s3 needs boto3: pip install boto3") from exc
            self._client = boto3.client("s3", endpoint_url=self.endpoint_url, region_name=self.region)
        return self._client

    def save(self, key: str, stream: BinaryIO, *, max_bytes: int | None = None) -> StoredFile:
        validate_key(key)
        reader = _HashingReader(stream, max_bytes)
        try:
            self.client.upload_fileobj(reader, self.bucket, key)
        except Exception as exc:
            self._discard(key)
            if reader.exceeded and not isinstance(exc, TooLarge):
                raise TooLarge(max_bytes or 0) from exc
            raise
        log.info("stored %s in s3://%s (%d bytes)", key, self.bucket, reader.size)
        return StoredFile(key, reader.size, reader.hash.hexdigest())

    def _discard(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except Exception:  # best effort; a failed upload normally leaves no object
            log.exception("could not delete %s after a failed upload", key)

    def save_path(self, key: str, path: str) -> StoredFile:
        with open(path, "rb") as fh:
            return self.save(key, fh)

    def open(self, key: str) -> BinaryIO:
        raw = S3Reader(self.client, self.bucket, validate_key(key), self.size(key))
        return io.BufferedReader(raw, CHUNK_SIZE)

    def read_range(self, key: str, start: int, end: int) -> bytes:
        _check_range(start, end)
        return self._get(key, f"bytes={start}-{end}").read()

    def _get(self, key: str, byte_range: str) -> Any:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=validate_key(key), Range=byte_range)
        except Exception as exc:
            if _is_not_found(exc):
                raise FileNotFoundError(key) from exc
            raise
        return response["Body"]

    def size(self, key: str) -> int:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=validate_key(key))
        except Exception as exc:
            if _is_not_found(exc):
                raise FileNotFoundError(key) from exc
            raise
        return int(head["ContentLength"])

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except FileNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=validate_key(key))
        log.info("deleted %s from s3://%s", key, self.bucket)

    def local_path(self, key: str) -> str | None:
        return None

    def sweep_temp(self, older_than_s: int = 3600) -> int:
        """Abort multipart uploads left open by a crashed process."""
        cutoff = time.time() - older_than_s
        aborted = 0
        for page in self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket):
            for upload in page.get("Uploads", []):
                if upload["Initiated"].timestamp() < cutoff:
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    aborted += 1
        if aborted:
            log.warning("aborted %d stale multipart upload(s) in s3://%s", aborted, self.bucket)
        return aborted


class S3Reader(io.RawIOBase):
    """A seekable read-only view of an object: each read after a seek is one Range GET."""

    def __init__(self, client: Any, bucket: str, key: str, size: int):
        super().__init__()
        self._client, self._bucket, self._key, self._size = client, bucket, key, size
        self._pos = 0
        self._body: Any = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        position = max(0, base + offset)
        if position != self._pos:
            self._drop_body()
            self._pos = position
        return self._pos

    def readinto(self, buffer: Any) -> int:
        if self._pos >= self._size or len(buffer) == 0:
            return 0
        if self._body is None:
            response = self._client.get_object(
                Bucket=self._bucket, Key=self._key, Range=f"bytes={self._pos}-"
            )
            self._body = response["Body"]
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def _drop_body(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def close(self) -> None:
        self._drop_body()
        super().close()


# --------------------------------------------------------------------------- factory


def get_storage(app: Flask | None = None) -> Storage:
    """The configured backend, made once per app and process (S3 clients are not fork-safe)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cached = app.extensions.get("revue_storage")
    if cached is not None and cached[0] == os.getpid():
        return cached[1]
    storage = _make_storage(app.config)
    app.extensions["revue_storage"] = (os.getpid(), storage)
    return storage


def _make_storage(config: Any) -> Storage:
    kind = str(config.get("STORAGE") or "local").lower()
    if kind == "local":
        return LocalStorage(config["UPLOAD_FOLDER"])
    if kind == "s3":
        return S3Storage(
            config.get("S3_BUCKET") or "",
            endpoint_url=config.get("S3_ENDPOINT_URL"),
            region=config.get("S3_REGION"),
        )
    raise ValueError(f"unknown REVUE_STORAGE {kind!r}: use 'local' or 's3'")
