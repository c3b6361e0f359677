"""Artwork for the demo workspace, drawn on the spot (nothing is downloaded or shipped)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _gradient(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    w, h = size
    mask = Image.linear_gradient("L").resize((w, h))
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def banner(path: Path, size: tuple[int, int], headline: str, sub: str, *, palette: tuple, cta: str = "Shop now",
           variant: int = 1, scale: float = 0.16) -> Path:
    """A campaign banner: gradient, a 'product' shape, headline, call to action."""
    w, h = size
    image = _gradient(size, palette[0], palette[1])
    draw = ImageDraw.Draw(image)
    unit = min(w, h)
    # mountains for the outdoor brand, a bottle for skincare
    if palette[2] == "mountain":
        for i, shade in enumerate(((34, 70, 60), (52, 98, 80), (80, 130, 100))):
            base = h - i * unit // 12
            draw.polygon([(w * (0.35 + 0.18 * i), base), (w * (0.6 + 0.15 * i), h * (0.25 + 0.1 * i)),
                          (w * (0.9 + 0.1 * i), base)], fill=shade)
    else:
        cx, cy = int(w * 0.74), int(h * 0.55)
        bw, bh = int(unit * 0.22), int(unit * 0.55)
        draw.rounded_rectangle((cx - bw // 2, cy - bh // 2, cx + bw // 2, cy + bh // 2), radius=bw // 4,
                               fill=(250, 246, 240), outline=(200, 170, 150), width=max(2, unit // 150))
        draw.rectangle((cx - bw // 5, cy - bh // 2 - bh // 6, cx + bw // 5, cy - bh // 2), fill=(60, 50, 50))
        draw.text((cx, cy), "GLOW", font=_font(max(10, bw // 5)), fill=(150, 90, 80), anchor="mm")
    pad = int(unit * 0.08)
    title_size = max(12, int(unit * scale))
    draw.text((pad, pad), headline, font=_font(title_size), fill=(255, 255, 255))
    draw.text((pad, pad + int(title_size * 1.35)), sub, font=_font(max(10, title_size // 2)), fill=(240, 240, 235))
    bx, by = pad, h - pad - int(unit * 0.16)
    draw.rounded_rectangle((bx, by, bx + int(unit * 0.5), by + int(unit * 0.14)), radius=int(unit * 0.04),
                           fill=(255, 200, 60) if variant < 3 else (255, 255, 255))
    draw.text((bx + int(unit * 0.25), by + int(unit * 0.07)), cta, font=_font(max(10, int(unit * 0.06))),
              fill=(30, 30, 30), anchor="mm")
    image.save(path, quality=90)
    return path


def brochure(path: Path, title: str, pages: int, *, accent: tuple[int, int, int]) -> Path:
    """A multi-page PDF with headings, text blocks and picture boxes."""
    sheets = []
    for n in range(1, pages + 1):
        page = Image.new("RGB", (1240, 1754), (255, 255, 255))
        draw = ImageDraw.Draw(page)
        draw.rectangle((0, 0, 1240, 180), fill=accent)
        draw.text((80, 60), title if n == 1 else f"{title} — {n}", font=_font(56), fill=(255, 255, 255))
        draw.rectangle((80, 260, 1160, 900), fill=(226, 232, 228))
        draw.text((620, 580), f"Picture {n}", font=_font(40), fill=(120, 130, 125), anchor="mm")
        for line in range(12):
            y = 980 + line * 52
            draw.rectangle((80, y, 80 + (1080 if line % 4 else 700), y + 18), fill=(205, 208, 212))
        draw.text((1160, 1680), str(n), font=_font(28), fill=(120, 120, 120), anchor="rm")
        sheets.append(page)
    sheets[0].save(path, save_all=True, append_images=sheets[1:], resolution=150)
    return path


def _ffmpeg(*args: str) -> None:
    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args],
                   check=True, timeout=120)


def video(path: Path, seconds: int = 8, *, pattern: str = "testsrc2") -> Path:
    _ffmpeg("-f", "lavfi", "-i", f"{pattern}=duration={seconds}:size=960x540:rate=25",
            "-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}", "-c:v", "libx264", "-pix_fmt", "yuv420p",
            "-preset", "veryfast", "-c:a", "aac", "-shortest", "-movflags", "+faststart", str(path))
    return path


def audio(path: Path, seconds: int = 20) -> Path:
    _ffmpeg("-f", "lavfi", "-i", f"sine=frequency=220:duration={seconds}", "-f", "lavfi",
            "-i", f"sine=frequency=330:duration={seconds}", "-filter_complex",
            "[0][1]amix=inputs=2,volume=3,tremolo=f=0.6:d=0.8", "-c:a", "aac", "-b:a", "96k", str(path))
    return path
