"""Value types shared by the media modules: errors, detection results and renditions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MEDIA_KINDS = ("image", "pdf", "video", "audio", "other")

DEFAULT_MAX_PIXELS = 100_000_000

MEMORY_MESSAGE = "Processing this file needed more memory than allowed and was stopped."


class MediaError(Exception):
    """A file we refuse or cannot process; ``message`` is plain words for the user."""

    def __init__(self, message: str, *, reason: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        # "invalid" (bad/unsupported file), "timeout" or "memory" (resource limits).
        self.reason = reason


@dataclass
class Detected:
    kind: str
    mime: str
    ext: str  # from content, without dot, e.g. "png"


@dataclass
class Rendition:
    name: str  # "thumb", "preview", "page-1", "page-1-thumb", "poster", "strip", "web", "waveform"
    path: str
    mime: str
    width: int | None = None
    height: int | None = None


@dataclass
class Processed:
    metadata: dict[str, Any] = field(default_factory=dict)
    renditions: list[Rendition] = field(default_factory=list)


# Called once per rendition as soon as its file is complete (e.g. to show page 1 early).
RenditionCallback = Callable[[Rendition], None]
