"""Inline SVG bar charts (geometry only, no JavaScript) for the reports pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any


def bar_chart(by_day: list[tuple[date, Decimal, int]], width: int = 720, height: int = 220) -> dict[str, Any]:
    """Geometry for an inline SVG bar chart (no JavaScript)."""
    left, bottom, top = 56, 24, 10
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max((v for _, v, _ in by_day), default=Decimal("0"))
    scale_max = _nice(peak)
    n = max(1, len(by_day))
    slot = plot_w / n
    bars = []
    for i, (day, value, count) in enumerate(by_day):
        h = float(value / scale_max * plot_h) if scale_max else 0.0
        bars.append({"x": round(left + i * slot + slot * 0.15, 1), "w": round(slot * 0.7, 1),
                     "y": round(top + plot_h - h, 1), "h": round(h, 1), "day": day.isoformat(),
                     "label": day.strftime("%m-%d"), "value": str(value), "count": count,
                     "show_label": i % max(1, n // 10) == 0 or i == n - 1})
    ticks = [{"y": round(top + plot_h - plot_h * k / 4, 1), "value": str((scale_max * k / 4).quantize(Decimal("1")))}
             for k in range(5)]
    return {"width": width, "height": height, "bars": bars, "ticks": ticks, "left": left,
            "base_y": top + plot_h, "right": width - 8}


def _nice(peak: Decimal) -> Decimal:
    if peak <= 0:
        return Decimal("0")
    magnitude = Decimal(10) ** (len(str(int(peak))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        candidate = Decimal(str(step)) * magnitude
        if candidate >= peak:
            return candidate
    return peak


