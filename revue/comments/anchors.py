"""A small typed parser for comment anchors (JSON from the annotation layer)."""

from __future__ import annotations

import json
import math
from typing import Any

from ..errors import DomainError

MAX_POINTS = 400
MAX_RAW = 40_000  # characters of JSON: 400 points with 5 decimals fit in a quarter of it
SLACK = 0.001  # a click on the very edge of the artwork may land a hair outside it


class BadAnchor(DomainError):
    status = 422


def _number(value: Any) -> float:
    """A finite number; JSON booleans and strings are not numbers here."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(value)
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def _fraction(value: Any, name: str) -> float:
    try:
        number = _number(value)
    except (TypeError, ValueError) as exc:
        raise BadAnchor(f"The {name} position is not a number.") from exc
    if not -SLACK <= number <= 1 + SLACK:
        raise BadAnchor("The mark is outside the artwork.")
    return round(min(max(number, 0.0), 1.0), 5)


def _seconds(value: Any, duration: float | None) -> float:
    try:
        number = _number(value)
    except (TypeError, ValueError) as exc:
        raise BadAnchor("The time is not a number.") from exc
    if number < 0 or (duration and number > duration + 0.5):
        raise BadAnchor("The time is outside the clip.")
    return round(number, 3)


def _points(raw: Any) -> list[list[float]]:
    if not isinstance(raw, list) or not 2 <= len(raw) <= MAX_POINTS:
        raise BadAnchor("The drawing could not be read. Draw it again.")
    points = []
    for p in raw:
        if not isinstance(p, list | tuple) or len(p) != 2:
            raise BadAnchor("The drawing could not be read. Draw it again.")
        points.append([_fraction(p[0], "x"), _fraction(p[1], "y")])
    return points


def parse(raw: str | None, *, kind: str, pages: int | None = None, duration: float | None = None) -> dict | None:
    """Validate an anchor for a version of ``kind``; ``None`` for a general comment."""
    if not raw:
        return None
    if len(raw) > MAX_RAW:
        raise BadAnchor("The drawing is too detailed. Draw it again with fewer strokes.")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise BadAnchor("The mark could not be read. Place it again.") from exc
    if not isinstance(data, dict):
        raise BadAnchor("The mark could not be read. Place it again.")
    anchor: dict[str, Any] = {}
    shape = data.get("type", "pin")
    if shape not in ("pin", "region", "shape", "time"):
        raise BadAnchor("Unknown kind of mark.")
    anchor["type"] = shape
    if shape in ("pin", "region"):
        anchor["x"], anchor["y"] = _fraction(data.get("x"), "x"), _fraction(data.get("y"), "y")
    if shape == "region":
        anchor["w"] = _fraction(data.get("w"), "width")
        anchor["h"] = _fraction(data.get("h"), "height")
        if anchor["x"] + anchor["w"] > 1 + SLACK or anchor["y"] + anchor["h"] > 1 + SLACK:
            raise BadAnchor("The area reaches outside the artwork.")
        anchor["w"], anchor["h"] = min(anchor["w"], 1 - anchor["x"]), min(anchor["h"], 1 - anchor["y"])
        if anchor["w"] < 0.002 or anchor["h"] < 0.002:
            raise BadAnchor("The area is too small. Drag a larger rectangle or click to drop a pin.")
    if shape == "shape":
        anchor["shape"] = "arrow" if data.get("shape") == "arrow" else "freehand"
        points = _points(data.get("points"))
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        anchor["x"], anchor["y"] = xs[0], ys[0]  # where the number badge sits
        anchor["points"] = [points[0], points[-1]] if anchor["shape"] == "arrow" else points
        anchor["bbox"] = [min(xs), min(ys), max(xs), max(ys)]
    if kind == "pdf":
        page = data.get("page", 1)
        if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= (pages or 1):
            raise BadAnchor("That page does not exist.")
        anchor["page"] = page
    if kind in ("video", "audio"):
        if "t" not in data:
            raise BadAnchor("The time of the comment is missing.")
        anchor["t"] = _seconds(data["t"], duration)
        if data.get("t_end") is not None:
            anchor["t_end"] = _seconds(data["t_end"], duration)
            if anchor["t_end"] <= anchor["t"]:
                raise BadAnchor("The end of the range must come after its start.")
    elif shape == "time":
        raise BadAnchor("Only video and audio comments carry a time.")
    if kind in ("other", "audio") and shape in ("pin", "region", "shape"):
        raise BadAnchor("This kind of file takes general comments only.")
    return anchor


def fits(anchor: dict | None, *, kind: str, pages: int | None = None, duration: float | None = None) -> bool:
    """Whether a stored anchor still makes sense on a version of ``kind`` (the carry-over checklist)."""
    if anchor is None:
        return True
    try:
        parse(json.dumps(anchor), kind=kind, pages=pages, duration=duration)
    except BadAnchor:
        return False
    return True
