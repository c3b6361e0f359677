"""Video and audio: facts, poster, scrub strip, waveform, and a web copy when browsers can't play it.

All decoding goes through :mod:`media_ffmpeg` (forced demuxer, file-only protocols,
timeouts, memory cap). Frames come back to us as raw RGB over a pipe and are encoded
with Pillow, so every image rendition is a fresh file without metadata.
"""

from __future__ import annotations

import math
import os
import re
import sys
from array import array

from PIL import Image, ImageDraw

from . import media_ffmpeg as ff
from .media_image import THUMB_MAX, fit, save_raster, shrink
from .media_types import MediaError, Processed, Rendition, RenditionCallback

POSTER_MAX = 1920
WEB_VIDEO_MAX = 1920
STRIP_FRAME_WIDTH = 160
STRIP_TARGET_FRAMES = 60
STRIP_MAX_FRAMES = 100
KEYFRAMES_ONLY_AFTER_S = 30.0  # longer videos: strip built from keyframes (no full decode)
PEAK_BUCKETS = 800
PEAK_RATE = 8000
WAVEFORM_SIZE = (1600, 200)
WAVEFORM_COLOUR = (100, 116, 139, 255)

_PLAYABLE_VIDEO = {  # container mime -> (video codecs, audio codecs)
    "video/mp4": ({"h264"}, {"aac", "mp3"}),
    "video/quicktime": ({"h264"}, {"aac", "mp3"}),
    "video/webm": ({"vp8", "vp9", "av1"}, {"opus", "vorbis"}),
}
_PLAYABLE_AUDIO = {
    "audio/mpeg": {"mp3"},
    "audio/mp4": {"aac"},
    "audio/aac": {"aac"},
    "audio/wav": {"pcm_s16le", "pcm_s24le", "pcm_u8", "pcm_f32le"},
    "audio/ogg": {"vorbis", "opus"},
    "audio/webm": {"vorbis", "opus"},
    "audio/flac": {"flac"},
}
_X264_ARGS = ("-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-profile:v", "high")
_TIME_RE = re.compile(r"time=(\d+):(\d\d):(\d\d(?:\.\d+)?)")


# --- video ----------------------------------------------------------------------------------


def process_video(path: str, mime: str, out_dir: str, *, emit: RenditionCallback) -> Processed:
    info = ff.probe(path, mime, "video")
    video = info.video
    if video is None or video.width < 1 or video.height < 1:
        raise MediaError("This file has no picture track we can show.")
    duration = info.duration or _measure_duration(path, mime, "video")
    size = display_size(video)
    audio = info.audio
    metadata: dict[str, object] = {
        "width": size[0],
        "height": size[1],
        "duration": round(duration, 3),
        "fps": round(video.fps, 3) if video.fps else None,
        "video_codec": video.codec,
        "audio_codec": audio.codec if audio else None,
        "has_audio": audio is not None,
    }
    renditions = _poster_and_thumb(path, mime, duration, size, out_dir, emit)
    strip, frames, interval = _strip(path, mime, duration, video.fps, size, out_dir)
    emit(strip)
    renditions.append(strip)
    metadata["strip_frames"], metadata["strip_interval"] = frames, round(interval, 4)
    if not is_playable_video(mime, info):
        web = _web_video(path, mime, size, audio, out_dir)
        emit(web)
        renditions.append(web)
    return Processed(metadata=metadata, renditions=renditions)


def display_size(video: ff.Stream) -> tuple[int, int]:
    """Width/height as shown: pixel aspect ratio applied, then the rotation."""
    width, height = max(1, round(video.width * video.sar)), video.height
    return (height, width) if video.rotation in (90, 270) else (width, height)


def is_playable_video(mime: str, info: ff.Probe) -> bool:
    if mime not in _PLAYABLE_VIDEO or info.video is None:
        return False
    video_codecs, audio_codecs = _PLAYABLE_VIDEO[mime]
    video_ok = info.video.codec in video_codecs and info.video.pix_fmt in (
        "yuv420p",
        "yuvj420p",
        "yuv420p10le",
    )
    if info.video.codec == "h264":
        video_ok = video_ok and info.video.pix_fmt in ("yuv420p", "yuvj420p")
    return video_ok and (info.audio is None or info.audio.codec in audio_codecs)


def poster_time(duration: float) -> float:
    return min(1.0, duration / 2) if duration < 10 else duration * 0.1


def _poster_and_thumb(
    path: str, mime: str, duration: float, size: tuple[int, int], out_dir: str, emit: RenditionCallback
) -> list[Rendition]:
    target = fit(size, POSTER_MAX)
    frames = _frames(path, mime, target, seek=poster_time(duration), count=1)
    if not frames:
        frames = _frames(path, mime, target, seek=None, count=1)
    if not frames:
        raise MediaError("No picture could be read from this video; the file may be damaged.")
    poster = save_raster(frames[0], out_dir, "poster")
    emit(poster)
    thumb = save_raster(shrink(frames[0], THUMB_MAX), out_dir, "thumb")
    emit(thumb)
    return [poster, thumb]


def _frames(
    path: str,
    mime: str,
    size: tuple[int, int],
    *,
    seek: float | None,
    count: int,
    fps: float | None = None,
    keyframes_only: bool = False,
) -> list[Image.Image]:
    """Decode up to ``count`` frames scaled to ``size`` (optionally resampled to ``fps``)."""
    filters = ([f"fps={fps:.6f}"] if fps else []) + [f"scale={size[0]}:{size[1]}:flags=lanczos", "setsar=1"]
    args = [
        *ff.input_args(path, mime, seek=seek, keyframes_only=keyframes_only),
        *("-map", "0:v:0", "-an", "-sn", "-dn", "-vf", ",".join(filters)),
        *("-frames:v", str(count), "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"),
    ]
    buffer = bytearray()
    timeout = ff.FRAME_TIMEOUT_S if count == 1 else ff.WHOLE_FILE_TIMEOUT_S
    ff.stream(args, buffer.extend, timeout=timeout, what="video")
    frame_bytes = size[0] * size[1] * 3
    return [
        Image.frombytes("RGB", size, bytes(buffer[i : i + frame_bytes]))
        for i in range(0, len(buffer) - frame_bytes + 1, frame_bytes)
    ]


def _strip(
    path: str, mime: str, duration: float, fps: float | None, size: tuple[int, int], out_dir: str
) -> tuple[Rendition, int, float]:
    """A horizontal sprite of small frames, one every ``interval`` seconds from the start."""
    interval = max(duration / STRIP_TARGET_FRAMES, 1 / (fps or 25))
    wanted = max(1, min(STRIP_MAX_FRAMES, math.floor(duration / interval)))
    height = min(480, max(2, round(STRIP_FRAME_WIDTH * size[1] / size[0] / 2) * 2))
    tile = (STRIP_FRAME_WIDTH, height)
    frames = _frames(
        path,
        mime,
        tile,
        seek=None,
        count=wanted,
        fps=1 / interval,
        keyframes_only=duration > KEYFRAMES_ONLY_AFTER_S,
    )
    if not frames:
        raise MediaError("No picture could be read from this video; the file may be damaged.")
    sprite = Image.new("RGB", (tile[0] * len(frames), tile[1]))
    for i, frame in enumerate(frames):
        sprite.paste(frame, (i * tile[0], 0))
    return save_raster(sprite, out_dir, "strip"), len(frames), interval


def _web_video(
    path: str, mime: str, size: tuple[int, int], audio: ff.Stream | None, out_dir: str
) -> Rendition:
    width, height = (max(2, d // 2 * 2) for d in fit(size, WEB_VIDEO_MAX))
    out = os.path.join(out_dir, "web.mp4")
    args = [
        *ff.input_args(path, mime),
        *("-map", "0:v:0", "-map", "0:a:0?", "-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1"),
        *("-vf", f"scale={width}:{height}:flags=lanczos,setsar=1,format=yuv420p"),
        *_X264_ARGS,
        *("-threads", ff.THREADS),
        *_web_audio_args(audio),
        *("-movflags", "+faststart", "-y", "file:" + out),
    ]
    ff.run(args, timeout=ff.WHOLE_FILE_TIMEOUT_S, what="video")
    return Rendition(name="web", path=out, mime="video/mp4", width=width, height=height)


def _web_audio_args(audio: ff.Stream | None) -> list[str]:
    if audio is None:
        return ["-an"]
    channels = ["-ac", "2"] if (audio.channels or 2) > 2 else []
    return ["-c:a", "aac", "-b:a", "160k", *channels]


def _measure_duration(path: str, mime: str, what: str) -> float:
    """For files whose header has no duration: copy the streams to nowhere and read the clock."""
    text = ff.run(
        [*ff.input_args(path, mime), "-c", "copy", "-f", "null", "-"],
        timeout=ff.WHOLE_FILE_TIMEOUT_S,
        what=what,
    )
    times = _TIME_RE.findall(text)
    if not times:
        raise MediaError(f"The length of this {what} could not be read; the file may be damaged.")
    h, m, s = times[-1]
    return int(h) * 3600 + int(m) * 60 + float(s)


# --- audio ----------------------------------------------------------------------------------


def process_audio(path: str, mime: str, out_dir: str, *, emit: RenditionCallback) -> Processed:
    info = ff.probe(path, mime, "audio file")
    audio = info.audio
    if audio is None:
        raise MediaError("This file has no sound we can play.")
    duration = info.duration or _measure_duration(path, mime, "audio file")
    peaks = waveform_peaks(path, mime, duration)
    metadata: dict[str, object] = {
        "duration": round(duration, 3),
        "audio_codec": audio.codec,
        "has_audio": True,
        "sample_rate": audio.sample_rate,
        "channels": audio.channels,
        "peaks": peaks,
    }
    waveform = save_raster(draw_waveform(peaks), out_dir, "waveform")
    emit(waveform)
    renditions = [waveform]
    if audio.codec not in _PLAYABLE_AUDIO.get(mime, set()):
        web = _web_audio(path, mime, audio, out_dir)
        emit(web)
        renditions.append(web)
    return Processed(metadata=metadata, renditions=renditions)


def waveform_peaks(path: str, mime: str, duration: float) -> list[float]:
    """~800 loudest-sample values (0..1), from a mono 8 kHz decode streamed through a pipe."""
    sample_format = "s16le" if sys.byteorder == "little" else "s16be"
    meter = PeakMeter(expected_samples=int(duration * PEAK_RATE))
    args = [
        *ff.input_args(path, mime),
        *("-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar", str(PEAK_RATE)),
        *("-f", sample_format, "-acodec", f"pcm_{sample_format}", "pipe:1"),
    ]
    ff.stream(args, meter.feed, timeout=ff.WHOLE_FILE_TIMEOUT_S, what="audio file")
    return meter.peaks()


class PeakMeter:
    """Keeps the loudest |sample| per small chunk while streaming; folds them into buckets at the end."""

    def __init__(self, expected_samples: int, buckets: int = PEAK_BUCKETS) -> None:
        self.buckets = buckets
        # ~8 chunks per bucket, but never more than a second per chunk (durations in headers can lie)
        self.chunk = max(1, min(PEAK_RATE, expected_samples // (buckets * 8)))
        self.pending = bytearray()
        self.chunk_peaks = array("I")

    def feed(self, data: bytes) -> None:
        self.pending += data
        usable = len(self.pending) - len(self.pending) % (2 * self.chunk)
        if usable:
            self._measure(usable)

    def _measure(self, nbytes: int) -> None:
        samples = array("h", self.pending[:nbytes])
        del self.pending[:nbytes]
        for start in range(0, len(samples), self.chunk):
            part = samples[start : start + self.chunk]
            self.chunk_peaks.append(max(max(part), -min(part)))

    def peaks(self) -> list[float]:
        if len(self.pending) >= 2:
            self._measure(len(self.pending) - len(self.pending) % 2)
        count = len(self.chunk_peaks)
        if count == 0:
            return []
        n = min(self.buckets, count)
        return [
            round(max(self.chunk_peaks[i * count // n : (i + 1) * count // n]) / 32768, 3) for i in range(n)
        ]


def draw_waveform(peaks: list[float]) -> Image.Image:
    width, height = WAVEFORM_SIZE
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    middle = height / 2
    pitch = width / max(1, len(peaks))
    for i, peak in enumerate(peaks):
        half = max(1.0, peak * (middle - 2))
        x = i * pitch
        draw.rectangle((x, middle - half, x + max(1.0, pitch * 0.6), middle + half), fill=WAVEFORM_COLOUR)
    return image


def _web_audio(path: str, mime: str, audio: ff.Stream, out_dir: str) -> Rendition:
    out = os.path.join(out_dir, "web.m4a")
    args = [
        *ff.input_args(path, mime),
        *("-map", "0:a:0", "-vn", "-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1"),
        *_web_audio_args(audio),
        *("-movflags", "+faststart", "-y", "file:" + out),
    ]
    ff.run(args, timeout=ff.WHOLE_FILE_TIMEOUT_S, what="audio file")
    return Rendition(name="web", path=out, mime="audio/mp4")
