"""Running ffmpeg safely (SECURITY F8) and reading stream facts from its banner.

Every call: an argument list (never a shell), ``-nostdin``, the input opened with
``-protocol_whitelist file`` and the demuxer forced from the detected type (so a playlist
or concat script can never be opened as one, and nothing it names is read), the stored
path passed as ``file:/abs/path``, a wall-clock timeout, an address-space cap and a
minimal environment. Output goes to files in the rendition directory or to ``pipe:1``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import resource
import selectors
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import IO

from .media_types import MEMORY_MESSAGE, MediaError

log = logging.getLogger(__name__)

FFMPEG_MEMORY_MB = 2048
PROBE_TIMEOUT_S = 30.0
FRAME_TIMEOUT_S = 120.0  # one frame
WHOLE_FILE_TIMEOUT_S = 1800.0  # a pass over the whole file (strip, waveform, web copy)
# Few threads and malloc arenas: each reserves address space, which counts against the cap.
THREADS = str(min(8, os.cpu_count() or 1))
ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "MALLOC_ARENA_MAX": "2"}

# Detected MIME type -> the only demuxer ffmpeg may use for it.
DEMUXERS = {
    "video/mp4": "mov",
    "video/quicktime": "mov",
    "audio/mp4": "mov",
    "video/webm": "matroska",
    "video/x-matroska": "matroska",
    "audio/webm": "matroska",
    "audio/x-matroska": "matroska",
    "video/x-msvideo": "avi",
    "video/ogg": "ogg",
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
    "audio/flac": "flac",
    "audio/aac": "aac",
}


@cache
def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def input_args(path: str, mime: str, *, seek: float | None = None, keyframes_only: bool = False) -> list[str]:
    """The input half of a command line: forced demuxer, whitelist, the stored file."""
    demuxer = DEMUXERS.get(mime)
    if demuxer is None:
        raise MediaError("This type of file can't be played or previewed.")
    args = ["-threads", THREADS, "-protocol_whitelist", "file", "-f", demuxer]
    if keyframes_only:
        args += ["-skip_frame", "nokey"]
    if seek:
        args += ["-ss", f"{seek:.3f}"]
    return [*args, "-i", "file:" + os.path.abspath(path)]


def _command(args: list[str]) -> list[str]:
    return [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", *args]


def _cap_memory(pid: int) -> None:
    """Cap the child's address space (never above our own hard limit)."""
    wanted = FFMPEG_MEMORY_MB * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    with contextlib.suppress(ProcessLookupError, PermissionError):  # it may have exited already
        resource.prlimit(pid, resource.RLIMIT_AS, (wanted, wanted))
        resource.prlimit(pid, resource.RLIMIT_CORE, (0, 0))


def _spawn(args: list[str], stdout: int, stderr: IO[bytes]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        _command(args),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        env=ENV,
        close_fds=True,
    )
    _cap_memory(proc.pid)
    return proc


def _failure(stderr: str, what: str) -> MediaError:
    tail = stderr.strip().splitlines()[-6:]
    log.info("ffmpeg failed (%s): %s", what, " | ".join(tail))
    if "Cannot allocate memory" in stderr or "Resource temporarily unavailable" in stderr:
        return MediaError(MEMORY_MESSAGE, reason="memory")
    return MediaError(f"This {what} could not be read; the file may be damaged.")


def run(args: list[str], *, timeout: float, what: str, check: bool = True) -> str:
    """Run ffmpeg to completion; return its stderr text. Outputs go to files named in args."""
    with tempfile.TemporaryFile() as err:
        proc = _spawn(args, subprocess.DEVNULL, err)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise MediaError(
                f"Reading this {what} took too long and was stopped.", reason="timeout"
            ) from None
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    if check and code != 0:
        raise _failure(text, what)
    return text


def stream(args: list[str], on_data: Callable[[bytes], None], *, timeout: float, what: str) -> None:
    """Run ffmpeg writing to ``pipe:1`` and feed its output to ``on_data`` as it arrives."""
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryFile() as err:
        proc = _spawn(args, subprocess.PIPE, err)
        assert proc.stdout is not None
        try:
            _pump(proc, on_data, deadline, what)
            code = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            proc.stdout.close()
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    if code != 0:
        raise _failure(text, what)


def _pump(
    proc: subprocess.Popen[bytes], on_data: Callable[[bytes], None], deadline: float, what: str
) -> None:
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(timeout=left):
                raise MediaError(f"Reading this {what} took too long and was stopped.", reason="timeout")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return
            on_data(chunk)


# --- Probing: parse the banner of `ffmpeg -i` (this build has no ffprobe) -------------------


@dataclass
class Stream:
    kind: str  # "video" or "audio"
    codec: str
    width: int = 0
    height: int = 0
    pix_fmt: str = ""
    sar: float = 1.0
    fps: float | None = None
    rotation: int = 0
    sample_rate: int | None = None
    channels: int | None = None
    cover_art: bool = False


@dataclass
class Probe:
    duration: float | None
    streams: list[Stream] = field(default_factory=list)

    @property
    def video(self) -> Stream | None:
        return next((s for s in self.streams if s.kind == "video" and not s.cover_art), None)

    @property
    def audio(self) -> Stream | None:
        return next((s for s in self.streams if s.kind == "audio"), None)


_STREAM_RE = re.compile(
    r"^\s*Stream #0:\d+(?:\[\w+\])?(?:\([^)]*\))?: (Video|Audio|Subtitle|Data|Attachment): (.*)$"
)
_DURATION_RE = re.compile(r"^\s*Duration: (?:(\d+):(\d\d):(\d\d(?:\.\d+)?)|N/A)")
_ROTATION_RE = re.compile(r"rotation of (-?[\d.]+) degrees")
_CHANNELS = {"mono": 1, "stereo": 2, "2.1": 3, "quad": 4, "4.0": 4, "5.0": 5, "5.1": 6, "6.1": 7, "7.1": 8}


def probe(path: str, mime: str, what: str) -> Probe:
    text = run(input_args(path, mime), timeout=PROBE_TIMEOUT_S, what=what, check=False)
    result = parse_banner(text)
    if not result.streams:
        raise _failure(text, what)
    return result


def parse_banner(text: str) -> Probe:
    duration: float | None = None
    streams: list[Stream] = []
    for line in text.splitlines():
        if m := _DURATION_RE.match(line):
            if m.group(1) is not None:
                duration = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
        elif m := _STREAM_RE.match(line):
            if m.group(1) in ("Video", "Audio"):
                streams.append(_parse_stream(m.group(1).lower(), m.group(2)))
        elif (m := _ROTATION_RE.search(line)) and streams and streams[-1].kind == "video":
            streams[-1].rotation = round(float(m.group(1))) % 360
    return Probe(duration=duration, streams=streams)


def _split_fields(spec: str) -> list[str]:
    """Split on commas that are not inside parentheses or brackets."""
    fields, depth, start = [], 0, 0
    for i, ch in enumerate(spec):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            fields.append(spec[start:i].strip())
            start = i + 1
    fields.append(spec[start:].strip())
    return fields


def _parse_stream(kind: str, spec: str) -> Stream:
    fields = _split_fields(spec)
    stream = Stream(kind=kind, codec=fields[0].split(" ")[0], cover_art="(attached pic)" in spec)
    if kind == "video":
        _parse_video_fields(stream, fields[1:])
    else:
        _parse_audio_fields(stream, fields[1:])
    return stream


def _parse_video_fields(stream: Stream, fields: list[str]) -> None:
    for f in fields:
        if not stream.pix_fmt and re.match(r"^[a-z][a-z0-9_]*(\(|$)", f):
            stream.pix_fmt = f.split("(")[0]
        elif m := re.match(r"^(\d+)x(\d+)", f):
            stream.width, stream.height = int(m.group(1)), int(m.group(2))
            if (sar := re.search(r"SAR (\d+):(\d+)", f)) and int(sar.group(2)) and int(sar.group(1)):
                stream.sar = int(sar.group(1)) / int(sar.group(2))
        elif m := re.match(r"^SAR (\d+):(\d+)", f):
            if int(m.group(1)) and int(m.group(2)):
                stream.sar = int(m.group(1)) / int(m.group(2))
        elif m := re.match(r"^([\d.]+)(k?) (fps|tbr)", f):
            value = float(m.group(1)) * (1000 if m.group(2) else 1)
            if stream.fps is None and 0 < value <= 1000:
                stream.fps = value


def _parse_audio_fields(stream: Stream, fields: list[str]) -> None:
    for f in fields:
        if m := re.match(r"^(\d+) Hz", f):
            stream.sample_rate = int(m.group(1))
        elif f in _CHANNELS:
            stream.channels = _CHANNELS[f]
        elif m := re.match(r"^(\d+) channels", f):
            stream.channels = int(m.group(1))
        elif m := re.match(r"^([\d.]+)\(", f):  # e.g. "5.1(side)"
            stream.channels = _CHANNELS.get(m.group(1))
