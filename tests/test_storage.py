"""Stored files: atomic writes, size limits without leftovers, safe keys (SECURITY F1, I4)."""

from __future__ import annotations

import hashlib
import io
import os
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from revue.storage import (
    CHUNK_SIZE,
    InvalidKey,
    LocalStorage,
    S3Storage,
    StoredFile,
    TooLarge,
    get_storage,
    new_key,
    validate_key,
)

DATA = bytes(i % 251 for i in range(3 * CHUNK_SIZE + 12345))


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "uploads")


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


class RecordingStream(io.RawIOBase):
    """A stream that remembers how much was asked per read, and can fail or run a hook."""

    def __init__(self, data: bytes, *, fail_after: int | None = None, on_read=None):
        super().__init__()
        self._buf = io.BytesIO(data)
        self.requests: list[int] = []
        self._fail_after = fail_after
        self._on_read = on_read

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        self.requests.append(n)
        if self._fail_after is not None and self._buf.tell() >= self._fail_after:
            raise ConnectionResetError("client went away")
        if self._on_read:
            self._on_read(self._buf.tell())
        return self._buf.read(n)


# ------------------------------------------------------------------ keys


def test_new_key_shape_and_randomness():
    key = new_key("versions")
    assert re.fullmatch(r"versions/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}", key)
    token = key.rsplit("/", 1)[1]
    assert key.split("/")[1:3] == [token[:2], token[2:4]]
    assert len({new_key("versions") for _ in range(200)}) == 200
    assert re.fullmatch(r"[a-z0-9/_-]+", new_key("renditions/thumb_webp"))


@pytest.mark.parametrize(
    "key",
    [
        "../x",
        "a/../b",
        "a/..",
        "..",
        "/etc/passwd",
        "a//b",
        "a/",
        "",
        "A/b",
        "a/b.png",
        ".tmp/up-x",
        "a\\b",
        "a\x00b",
        "a/b\n",
        "versions/é",
        "x" * 600,
    ],
)
def test_bad_keys_are_refused(storage: LocalStorage, key: str):
    with pytest.raises(InvalidKey):
        validate_key(key)
    with pytest.raises(InvalidKey):
        storage.save(key, io.BytesIO(b"x"))
    with pytest.raises(InvalidKey):
        storage.open(key)
    with pytest.raises(InvalidKey):
        storage.delete(key)
    with pytest.raises(InvalidKey):
        new_key(key)
    assert files_under(storage.root) == []


def test_key_maps_inside_root(storage: LocalStorage):
    key = new_key("versions")
    path = Path(storage.local_path(key) or "")
    assert path.is_relative_to(storage.root)
    assert path == storage.root.joinpath(*key.split("/"))


# ------------------------------------------------------------------ save


def test_save_streams_in_chunks_and_hashes(storage: LocalStorage):
    key = new_key("versions")
    stream = RecordingStream(DATA)
    stored = storage.save(key, stream)

    assert stored == StoredFile(key, len(DATA), hashlib.sha256(DATA).hexdigest())
    assert Path(storage.local_path(key) or "").read_bytes() == DATA
    assert max(stream.requests) <= CHUNK_SIZE
    assert -1 not in stream.requests and len(stream.requests) >= 4
    assert list(storage.temp_dir.iterdir()) == []


def test_partial_file_is_never_visible_under_its_key(storage: LocalStorage):
    key = new_key("versions")
    seen: list[tuple[bool, int]] = []

    def look(position: int) -> None:
        if position > 0:
            seen.append((storage.exists(key), len(list(storage.temp_dir.iterdir()))))

    storage.save(key, RecordingStream(DATA, on_read=look))
    assert seen and all(visible is False and temps == 1 for visible, temps in seen)
    assert storage.exists(key)


def test_failed_stream_leaves_nothing(storage: LocalStorage):
    key = new_key("versions")
    with pytest.raises(ConnectionResetError):
        storage.save(key, RecordingStream(DATA, fail_after=CHUNK_SIZE))
    assert not storage.exists(key)
    assert files_under(storage.root) == []


def test_over_the_limit_raises_and_leaves_nothing(storage: LocalStorage):
    key = new_key("versions")
    limit = 2 * CHUNK_SIZE + 10
    stream = RecordingStream(DATA)
    with pytest.raises(TooLarge) as info:
        storage.save(key, stream, max_bytes=limit)

    assert info.value.code == 413
    assert info.value.max_bytes == limit
    assert not storage.exists(key)
    assert storage.temp_dir.is_dir() and list(storage.temp_dir.iterdir()) == []
    assert files_under(storage.root) == []
    assert sum(stream.requests) <= limit + 1  # stopped reading right after the limit


def test_exactly_at_the_limit_is_kept(storage: LocalStorage):
    key = new_key("versions")
    stored = storage.save(key, io.BytesIO(DATA[:1000]), max_bytes=1000)
    assert stored.size == 1000
    with pytest.raises(TooLarge):
        storage.save(new_key("versions"), io.BytesIO(DATA[:1001]), max_bytes=1000)
    assert [p.name for p in files_under(storage.root)] == [key.rsplit("/", 1)[1]]


def test_empty_file(storage: LocalStorage):
    stored = storage.save(new_key("versions"), io.BytesIO(b""))
    assert (stored.size, stored.sha256) == (0, hashlib.sha256(b"").hexdigest())
    assert storage.size(stored.key) == 0


def test_save_path_imports_a_local_file(storage: LocalStorage, tmp_path: Path):
    source = tmp_path / "rendition.webp"
    source.write_bytes(DATA[:5000])
    stored = storage.save_path(new_key("renditions"), str(source))

    assert stored.sha256 == hashlib.sha256(DATA[:5000]).hexdigest()
    assert storage.read_range(stored.key, 0, 4999) == DATA[:5000]
    assert source.exists()
    assert list(storage.temp_dir.iterdir()) == []


# ------------------------------------------------------------------ read side


def test_read_range_open_size_exists_delete(storage: LocalStorage):
    key = storage.save(new_key("versions"), io.BytesIO(DATA)).key

    assert storage.read_range(key, 0, 9) == DATA[:10]
    assert storage.read_range(key, 1000, 1000) == DATA[1000:1001]
    assert storage.read_range(key, len(DATA) - 5, len(DATA) + 100) == DATA[-5:]
    with pytest.raises(ValueError):
        storage.read_range(key, 10, 9)
    with pytest.raises(ValueError):
        storage.read_range(key, -1, 9)
    with storage.open(key) as fh:
        fh.seek(CHUNK_SIZE)
        assert fh.read(7) == DATA[CHUNK_SIZE : CHUNK_SIZE + 7]
    assert storage.size(key) == len(DATA)
    assert storage.exists(key)

    storage.delete(key)
    storage.delete(key)  # idempotent
    assert not storage.exists(key)
    with pytest.raises(FileNotFoundError):
        storage.open(key)


def test_sweep_temp_removes_only_old_leftovers(storage: LocalStorage):
    assert storage.sweep_temp() == 0  # no temp dir yet
    storage.temp_dir.mkdir(parents=True)
    old, fresh = storage.temp_dir / "up-old", storage.temp_dir / "up-fresh"
    old.write_bytes(b"partial")
    fresh.write_bytes(b"being written")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    kept = storage.save(new_key("versions"), io.BytesIO(b"real"))

    assert storage.sweep_temp(older_than_s=3600) == 1
    assert not old.exists() and fresh.exists()
    assert storage.exists(kept.key)
    assert storage.sweep_temp(older_than_s=0) == 1
    assert list(storage.temp_dir.iterdir()) == []


# ------------------------------------------------------------------ configuration


def test_get_storage_local_from_config(tmp_path: Path):
    app = Flask(__name__)
    app.config.update(STORAGE="local", UPLOAD_FOLDER=str(tmp_path / "files"))
    storage = get_storage(app)
    assert isinstance(storage, LocalStorage)
    assert storage.root == (tmp_path / "files").resolve()
    with app.app_context():
        assert get_storage() is storage


def test_get_storage_s3_from_config():
    app = Flask(__name__)
    app.config.update(STORAGE="s3", S3_BUCKET="revue", S3_ENDPOINT_URL="http://minio:9000", S3_REGION="eu-1")
    storage = get_storage(app)
    assert isinstance(storage, S3Storage)
    assert (storage.bucket, storage.endpoint_url, storage.region) == ("revue", "http://minio:9000", "eu-1")
    assert storage.local_path("versions/ab") is None


def test_get_storage_refuses_unknown_backend():
    app = Flask(__name__)
    app.config.update(STORAGE="ftp")
    with pytest.raises(ValueError, match="ftp"):
        get_storage(app)


# ------------------------------------------------------------------ S3 with a fake client


class ClientError(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.response = {"Error": {"Code": code}}


class FakeS3:
    """Just enough of boto3's S3 client; reads uploads in 5 MiB parts like s3transfer."""

    def __init__(self):
        self.objects: dict[str, bytes] = {}
        self.ranges: list[str] = []
        self.deleted: list[str] = []
        self.aborted: list[str] = []
        self.uploads: list[dict] = []

    def upload_fileobj(self, fileobj, bucket, key):
        assert bucket == "revue" and not fileobj.seekable()
        parts = []
        while part := fileobj.read(5 * 1024 * 1024):
            parts.append(part)
        self.objects[key] = b"".join(parts)

    def get_object(self, Bucket, Key, Range):
        if Key not in self.objects:
            raise ClientError("NoSuchKey")
        self.ranges.append(Range)
        start, _, end = Range.removeprefix("bytes=").partition("-")
        data = self.objects[Key]
        return {"Body": io.BytesIO(data[int(start) : int(end) + 1 if end else len(data)])}

    def head_object(self, Bucket, Key):
        if Key not in self.objects:
            raise ClientError("404")
        return {"ContentLength": len(self.objects[Key])}

    def delete_object(self, Bucket, Key):
        self.deleted.append(Key)
        self.objects.pop(Key, None)

    def get_paginator(self, name):
        assert name == "list_multipart_uploads"
        uploads = self.uploads

        class Paginator:
            def paginate(self, Bucket):
                return [{"Uploads": uploads[:1]}, {"Uploads": uploads[1:]}, {}]

        return Paginator()

    def abort_multipart_upload(self, Bucket, Key, UploadId):
        self.aborted.append(UploadId)


@pytest.fixture
def s3() -> tuple[S3Storage, FakeS3]:
    client = FakeS3()
    return S3Storage("revue", client=client), client


def test_s3_save_hashes_and_reads_ranges(s3):
    storage, client = s3
    key = new_key("versions")
    stored = storage.save(key, io.BytesIO(DATA))

    assert stored == StoredFile(key, len(DATA), hashlib.sha256(DATA).hexdigest())
    assert client.objects[key] == DATA
    assert storage.read_range(key, 10, 19) == DATA[10:20]
    assert client.ranges[-1] == "bytes=10-19"
    assert storage.size(key) == len(DATA) and storage.exists(key)
    assert not storage.exists(new_key("versions"))
    with pytest.raises(FileNotFoundError):
        storage.read_range(new_key("versions"), 0, 1)


def test_s3_open_seeks_with_range_requests(s3):
    storage, client = s3
    key = storage.save(new_key("versions"), io.BytesIO(DATA)).key
    with storage.open(key) as fh:
        fh.seek(2 * CHUNK_SIZE)
        assert fh.read(100) == DATA[2 * CHUNK_SIZE : 2 * CHUNK_SIZE + 100]
        assert client.ranges[-1] == f"bytes={2 * CHUNK_SIZE}-"
        fh.seek(5)
        assert fh.read(3) == DATA[5:8]
        assert client.ranges[-1] == "bytes=5-"
    with pytest.raises(FileNotFoundError):
        storage.open(new_key("versions"))


def test_s3_too_large_keeps_nothing(s3):
    storage, client = s3
    key = new_key("versions")
    with pytest.raises(TooLarge):
        storage.save(key, io.BytesIO(DATA), max_bytes=CHUNK_SIZE)
    assert key not in client.objects
    assert client.deleted == [key]


def test_s3_rejects_bad_keys_and_sweeps_stale_uploads(s3):
    storage, client = s3
    with pytest.raises(InvalidKey):
        storage.save("../x", io.BytesIO(b"x"))
    now = datetime.now(UTC)
    client.uploads = [
        {"Key": "versions/a", "UploadId": "old", "Initiated": now - timedelta(hours=3)},
        {"Key": "versions/b", "UploadId": "new", "Initiated": now - timedelta(minutes=5)},
        {"Key": "versions/c", "UploadId": "older", "Initiated": now - timedelta(days=2)},
    ]
    assert storage.sweep_temp(older_than_s=3600) == 2
    assert client.aborted == ["old", "older"]
