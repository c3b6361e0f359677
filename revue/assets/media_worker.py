"""Run :func:`revue.assets.media.process` in a separate, limited process (SECURITY F3, F9).

The parent starts a fresh ``python -I`` (see ``_BOOTSTRAP``) in its own session with a
scrubbed environment (no secrets), sends the request as JSON on stdin and reads JSON
lines back: one per finished rendition, then the result. The child caps its own address
space (RLIMIT_AS, inherited by ffmpeg), CPU time and core dumps before importing any
decoder. A child over its wall-clock time is killed with its whole process group, so no
ffmpeg outlives it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import resource
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from .media_types import (
    DEFAULT_MAX_PIXELS,
    MEMORY_MESSAGE,
    MediaError,
    Processed,
    Rendition,
    RenditionCallback,
)

log = logging.getLogger(__name__)

_PROJECT_ROOT = str(Path(__file__).resolve().parents[2])
# The child imports only the media modules: stand-in parent packages keep it from running
# revue/__init__.py (Flask, SQLAlchemy, ...), which would add most of a second per job.
_BOOTSTRAP = """
import sys, types
for name, path in (("revue", sys.argv[1] + "/revue"), ("revue.assets", sys.argv[1] + "/revue/assets")):
    package = types.ModuleType(name)
    package.__path__ = [path]
    sys.modules[name] = package
from revue.assets.media_worker import child_main
sys.exit(child_main())
"""
_PASSED_ENV = ("PATH", "LANG", "LC_ALL", "TMPDIR", "IMAGEIO_FFMPEG_EXE", "VIPS_CONCURRENCY")
CRASH_MESSAGE = "Processing stopped unexpectedly; the file may be damaged or need more memory than allowed."
FAILED_MESSAGE = "This file could not be processed."


def run_sandboxed(
    path: str,
    kind: str,
    mime: str,
    out_dir: str,
    *,
    timeout_s: float = 300,
    memory_mb: int = 1536,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    on_rendition: RenditionCallback | None = None,
) -> Processed:
    """Like ``media.process`` but in a child process with a memory cap and a time limit.

    Raises :class:`MediaError` (``reason`` "timeout", "memory" or "invalid") on failure;
    files already written to ``out_dir`` are then the caller's to discard.
    """
    out_dir = os.path.abspath(out_dir)
    request = {
        "path": os.path.abspath(path),
        "kind": kind,
        "mime": mime,
        "out_dir": out_dir,
        "max_pixels": max_pixels,
        "memory_mb": memory_mb,
        "cpu_s": int(timeout_s * max(2, os.cpu_count() or 1)) + 5,
    }
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOTSTRAP, _PROJECT_ROOT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=_child_env(),
            cwd=_PROJECT_ROOT,
            start_new_session=True,
            close_fds=True,
        )
        try:
            final = _converse(proc, request, timeout_s, on_rendition)
        finally:
            _kill_group(proc)
        if final is None or not final.get("ok"):
            stderr.seek(0)
            _log_tail(stderr, proc.returncode, final)
    return _result(final, proc.returncode, timeout_s, out_dir)


def _child_env() -> dict[str, str]:
    env = {k: os.environ[k] for k in _PASSED_ENV if k in os.environ}
    env.update(MALLOC_ARENA_MAX="2")
    env.setdefault("VIPS_CONCURRENCY", "2")
    return env


def _converse(
    proc: subprocess.Popen[bytes],
    request: dict[str, Any],
    timeout_s: float,
    on_rendition: RenditionCallback | None,
) -> dict[str, Any] | None:
    """Send the request; relay rendition lines; return the final line (None if the child died)."""
    assert proc.stdin is not None and proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    try:
        proc.stdin.write(json.dumps(request).encode())
        proc.stdin.close()
    except BrokenPipeError:
        return None
    for message in _lines(proc.stdout, deadline):
        if "rendition" in message:
            if on_rendition is not None:
                on_rendition(Rendition(**message["rendition"]))
        else:
            return message
    if time.monotonic() >= deadline:
        raise MediaError(
            f"Processing took longer than {_duration_words(timeout_s)} and was stopped.", reason="timeout"
        )
    return None


def _lines(stdout: IO[bytes], deadline: float) -> Any:
    """Yield JSON messages from the child until EOF or the deadline."""
    buffer = b""
    fd = stdout.fileno()
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if not sel.select(timeout=left):
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                try:
                    yield json.loads(line)
                except ValueError:
                    log.warning("media worker wrote a line that is not JSON: %.200r", line)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the child and anything it started (ffmpeg); reap the child."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            pipe.close()


def _log_tail(stderr: IO[bytes], returncode: int | None, final: dict[str, Any] | None) -> None:
    text = stderr.read()[-4000:].decode("utf-8", "replace")
    if final is None:
        log.warning("media worker exited with %s without a result: %s", returncode, text)
    else:
        log.info("media worker refused the file (%s): %s", final.get("error"), text)


def _result(
    final: dict[str, Any] | None, returncode: int | None, timeout_s: float, out_dir: str
) -> Processed:
    if final is None:
        if returncode == -signal.SIGXCPU:
            raise MediaError(
                f"Processing took longer than {_duration_words(timeout_s)} and was stopped.", reason="timeout"
            )
        raise MediaError(CRASH_MESSAGE, reason="memory")
    if not final.get("ok"):
        raise MediaError(final.get("error") or FAILED_MESSAGE, reason=final.get("reason", "invalid"))
    processed = final["processed"]
    renditions = [Rendition(**r) for r in processed["renditions"]]
    root = os.path.realpath(out_dir)
    for r in renditions:
        if os.path.commonpath([root, os.path.realpath(r.path)]) != root:
            raise MediaError(FAILED_MESSAGE)
    return Processed(metadata=processed["metadata"], renditions=renditions)


def _duration_words(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:g} minutes"
    if seconds >= 60:
        return "1 minute"
    return f"{seconds:g} second" + ("" if seconds == 1 else "s")


# --- the child ------------------------------------------------------------------------------


def _limit_self(memory_mb: int, cpu_s: int) -> None:
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def child_main() -> int:
    """Entry point of the sandboxed process (see ``_BOOTSTRAP``)."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    request = json.loads(sys.stdin.read())
    _limit_self(request["memory_mb"], request["cpu_s"])
    # Our messages get a private copy of stdout; anything else printing goes to stderr.
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)

    def send(message: dict[str, Any]) -> None:
        channel.write(json.dumps(message) + "\n")

    try:
        from .media import process

        processed = process(
            request["path"],
            request["kind"],
            request["mime"],
            request["out_dir"],
            max_pixels=request["max_pixels"],
            on_rendition=lambda r: send({"rendition": asdict(r)}),
        )
        send({"ok": True, "processed": asdict(processed)})
    except MediaError as exc:
        send({"ok": False, "error": exc.message, "reason": exc.reason})
    except MemoryError:
        send({"ok": False, "error": MEMORY_MESSAGE, "reason": "memory"})
    except Exception:
        log.exception("media processing failed")
        send({"ok": False, "error": FAILED_MESSAGE, "reason": "invalid"})
    channel.close()
    return 0
