"""Benchmark renditions: our ``media.process`` vs libvips, plus PDF and video latency.

    .venv/bin/python bench/renditions.py [--runs 5] [--keep DIR]

Inputs are generated (40 MP JPEG and PNG with gradients, shapes and noise; a 50-page
PDF; a 1-minute 1080p H.264/AAC video). Every measurement runs in a fresh Python
process; time is for the work only (imports done first), peak memory is that process's
ru_maxrss (so it includes the interpreter and libraries). libvips comes from the
``pyvips-binary`` wheel; without it the vips rows are skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RASTER_SIZE = (7746, 5164)  # 40 megapixels, 3:2
PDF_PAGES = 50
VIDEO_SECONDS = 60


# --- inputs ---------------------------------------------------------------------------------


def make_raster(path: Path) -> None:
    from PIL import Image, ImageDraw, ImageFilter

    w, h = RASTER_SIZE
    red = Image.linear_gradient("L").resize((w, h))
    green = Image.radial_gradient("L").resize((w, h))
    blue = Image.effect_noise((w // 4, h // 4), 60).resize((w, h), Image.Resampling.BICUBIC)
    im = Image.merge("RGB", (red, green, blue))
    draw = ImageDraw.Draw(im)
    for i in range(40):
        x, y = (i * 977) % w, (i * 613) % h
        draw.ellipse((x, y, x + w // 8, y + h // 8), fill=((i * 37) % 256, (i * 91) % 256, (i * 53) % 256))
    im = im.filter(ImageFilter.GaussianBlur(2))
    grain = Image.effect_noise((w, h), 12).convert("RGB")
    im = Image.blend(im, grain, 0.15)
    if path.suffix == ".png":
        im.save(path, "PNG", compress_level=1)
    else:
        im.save(path, "JPEG", quality=92)


def make_pdf(path: Path) -> None:
    from PIL import Image, ImageDraw

    pages = []
    for n in range(PDF_PAGES):
        page = Image.new("RGB", (1240, 1754), "white")  # A4 at 150 dpi
        draw = ImageDraw.Draw(page)
        draw.rectangle((100, 100, 1140, 500), fill=(30 + n * 4, 90, 160))
        for line in range(40):
            draw.text(
                (100, 560 + line * 28),
                f"Page {n + 1}, line {line + 1}: the quick brown fox " * 2,
                fill="black",
            )
        pages.append(page)
    pages[0].save(path, "PDF", save_all=True, append_images=pages[1:], resolution=150)


def make_video(path: Path) -> None:
    import imageio_ffmpeg

    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=duration={VIDEO_SECONDS}:size=1920x1080:rate=30",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={VIDEO_SECONDS}",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-g",
            "60",
            "-c:a",
            "aac",
            "-shortest",
            "-movflags",
            "+faststart",
            str(path),
        ],
        check=True,
    )


# --- one measurement, in a fresh process ----------------------------------------------------


def _media_only() -> None:
    """Import revue.assets.media* without running the app's package __init__ files (Flask etc.),
    as the sandboxed worker does, so memory figures are the media code's own."""
    import types

    for name, path in (("revue", ROOT / "revue"), ("revue.assets", ROOT / "revue" / "assets")):
        package = types.ModuleType(name)
        package.__path__ = [str(path)]
        sys.modules[name] = package


def child(task: str, src: str, out_dir: str) -> dict[str, float]:
    _media_only()
    if task == "vips":
        import pyvips

        started = time.perf_counter()
        _vips_renditions(pyvips, src, out_dir)
        result = {"seconds": time.perf_counter() - started}
    elif task == "sandboxed":
        result = _sandboxed(src, out_dir)
    else:
        from revue.assets import media, media_vips

        if task == "pillow":  # our code with its libvips path switched off
            media_vips.MIN_PIXELS = 10**12
        detected = media.detect(src, os.path.basename(src))
        first: list[float] = []
        started = time.perf_counter()
        media.process(
            src,
            detected.kind,
            detected.mime,
            out_dir,
            on_rendition=lambda r: first.append(time.perf_counter()),
        )
        result = {"seconds": time.perf_counter() - started, "first": first[0] - started}
    import resource

    result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _vips_renditions(pyvips: object, src: str, out_dir: str) -> None:
    preview = pyvips.Image.thumbnail(src, 2560, height=2560, size="down").copy_memory()  # type: ignore[attr-defined]
    preview.write_to_file(os.path.join(out_dir, "preview.jpg[Q=85,keep=none]"))
    thumb = preview.thumbnail_image(480, height=480)
    thumb.write_to_file(os.path.join(out_dir, "thumb.jpg[Q=85,keep=none]"))


def _sandboxed(src: str, out_dir: str) -> dict[str, float]:
    """Wall time through run_sandboxed (child start included), and time to the first rendition."""
    from revue.assets import media
    from revue.assets.media_worker import run_sandboxed

    detected = media.detect(src, os.path.basename(src))
    first: list[float] = []
    started = time.perf_counter()
    run_sandboxed(
        src, detected.kind, detected.mime, out_dir, on_rendition=lambda r: first.append(time.perf_counter())
    )
    return {"seconds": time.perf_counter() - started, "first": first[0] - started}


def run_child(task: str, src: Path) -> dict[str, float] | None:
    with tempfile.TemporaryDirectory(prefix="bench-out-") as out_dir:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", task, str(src), out_dir],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
    if proc.returncode != 0:
        print(f"  ({task} on {src.name} failed: {proc.stderr.strip().splitlines()[-1:]})")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(tasks: list[str], src: Path, runs: int) -> dict[str, dict[str, float]]:
    """Run the tasks interleaved (so background load hits all alike); median of each figure."""
    samples: dict[str, list[dict[str, float]]] = {task: [] for task in tasks}
    for _ in range(runs):
        for task in tasks:
            if (result := run_child(task, src)) is not None:
                samples[task].append(result)
    return {
        task: {key: statistics.median(s[key] for s in runs_) for key in runs_[0]}
        for task, runs_ in samples.items()
        if runs_
    }


# --- report ---------------------------------------------------------------------------------


def have_vips() -> bool:
    check = subprocess.run(
        [sys.executable, "-c", "import pyvips; pyvips.Image.black(1, 1)"], capture_output=True
    )
    return check.returncode == 0


def report_raster(name: str, src: Path, runs: int, vips: bool) -> None:
    tasks = ["ours", "vips", "sandboxed"] if vips else ["ours", "sandboxed"]
    if vips and src.suffix == ".png":
        tasks.append("pillow")
    results = measure(tasks, src, runs)
    ours, theirs, boxed, pillow = (results.get(task) for task in ("ours", "vips", "sandboxed", "pillow"))
    assert ours is not None
    print(f"{name} ({src.stat().st_size / 1e6:.1f} MB file, {RASTER_SIZE[0]}x{RASTER_SIZE[1]})")
    print(f"  ours  process():      {ours['seconds']:6.3f} s  peak {ours['maxrss_mb']:6.0f} MB")
    if pillow:
        print(f"  ours, Pillow only:    {pillow['seconds']:6.3f} s  peak {pillow['maxrss_mb']:6.0f} MB")
    if boxed:
        print(f"  ours  run_sandboxed:  {boxed['seconds']:6.3f} s  (includes starting the worker process)")
    if theirs:
        print(f"  vips  thumbnail:      {theirs['seconds']:6.3f} s  peak {theirs['maxrss_mb']:6.0f} MB")
        print(
            f"  ratio ours/vips:      time {ours['seconds'] / theirs['seconds']:.2f}x   "
            f"memory {ours['maxrss_mb'] / theirs['maxrss_mb']:.2f}x"
        )


def report_pdf(src: Path, runs: int) -> None:
    results = measure(["ours", "sandboxed"], src, runs)
    ours, boxed = results["ours"], results["sandboxed"]
    print(f"PDF, {PDF_PAGES} pages (raster A4 pages)")
    print(
        f"  first page (page-1):  {ours['first']:6.3f} s in process(), {boxed['first']:.3f} s via run_sandboxed "
        f"(target <= 1 s)"
    )
    print(f"  all pages:            {ours['seconds']:6.3f} s  peak {ours['maxrss_mb']:6.0f} MB")


def report_video(src: Path, runs: int) -> None:
    results = measure(["ours", "sandboxed"], src, runs)
    ours, boxed = results["ours"], results["sandboxed"]
    print(f"Video, {VIDEO_SECONDS} s 1080p30 H.264/AAC ({src.stat().st_size / 1e6:.1f} MB)")
    print(
        f"  metadata + poster:    {ours['first']:6.3f} s in process(), {boxed['first']:.3f} s via run_sandboxed "
        f"(target <= 2 s)"
    )
    print(
        f"  + thumb + strip:      {ours['seconds']:6.3f} s  peak {ours['maxrss_mb']:6.0f} MB (no web copy needed)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", help="directory for the generated inputs (reused if present)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    work = Path(args.keep or tempfile.mkdtemp(prefix="bench-renditions-"))
    work.mkdir(parents=True, exist_ok=True)
    inputs = {
        "photo.jpg": make_raster,
        "artwork.png": make_raster,
        "deck.pdf": make_pdf,
        "film.mp4": make_video,
    }
    for name, make in inputs.items():
        if not (work / name).exists():
            started = time.perf_counter()
            make(work / name)
            print(f"(made {name} in {time.perf_counter() - started:.1f} s)")
    vips = have_vips()
    if not vips:
        print("pyvips/libvips not available: install pyvips-binary for the comparison rows.")
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, median of {args.runs} runs\n")
    report_raster("JPEG 40 MP", work / "photo.jpg", args.runs, vips)
    report_raster("PNG 40 MP", work / "artwork.png", args.runs, vips)
    report_pdf(work / "deck.pdf", args.runs)
    report_video(work / "film.mp4", args.runs)


if __name__ == "__main__":
    main()
