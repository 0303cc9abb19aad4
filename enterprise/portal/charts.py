"""Geometry of the dashboard's server-rendered SVG charts (no JavaScript, nothing to build).

Like the run chart of the execution status page (``integrated_channel.services.execution_status``):
Python computes every rectangle, the template draws them. Each bar carries a ``<title>`` (its
figure on hover) and every chart has its data table beside it for screen readers and keyboards.
Colours reach 3:1 against white (WCAG 2.1 non-text contrast).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 880  # the SVG's width in user units (it scales to its box)
PLOT_HEIGHT = 180
LEFT = 56  # room for the value axis labels
BOTTOM = 24  # room for the time axis labels
TICKS = 8  # time labels at most

BLUE, GREEN, RED = "#0b5cad", "#1e7b34", "#b3261e"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    rects: list[Rect]
    labels: list[Label]
    gridlines: list[float]  # y of the horizontal lines (top value and half)

    def svg(self, labelled_by: str) -> SafeString:
        """The chart as SVG markup (every text escaped), titled by the element ``labelled_by``.

        Built here rather than in a template: a year by week is some 300 elements, which Django's
        template engine renders in a tenth of a second, string joins in a millisecond.
        """
        parts = [
            f'<svg class="report-chart" viewBox="0 0 {self.width} {self.height}" role="img" '
            f'aria-labelledby="{escape(labelled_by)}" preserveAspectRatio="xMinYMin meet">'
        ]
        parts += [
            f'<line x1="{LEFT}" x2="{self.width}" y1="{y}" y2="{y}" stroke="#c9ced6" stroke-width="1"></line>'
            for y in self.gridlines
        ]
        parts += [
            f'<rect x="{r.x}" y="{r.y}" width="{r.width}" height="{r.height}" fill="{r.colour}">'
            f"<title>{escape(r.title)}</title></rect>"
            for r in self.rects
        ]
        parts += [
            f'<text x="{t.x}" y="{t.y}" text-anchor="{t.anchor}" font-size="12" fill="#1b1f24">{escape(t.text)}</text>'
            for t in self.labels
        ]
        parts.append("</svg>")
        return mark_safe("".join(parts))  # noqa: S308 (numbers and escaped text only)


def _nice_max(value: int) -> int:
    """The axis top: ``value`` rounded up to 1, 2 or 5 times a power of ten (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover (unreachable: 10 * magnitude >= value)


def columns(buckets: list[str], series: list[tuple[str, str, list[int]]]) -> Chart:
    """Grouped vertical bars: one group per bucket (labelled ``buckets``), one bar per series
    ``(name, colour, values)``, on a shared value axis from 0."""
    top = _nice_max(max([max(values, default=0) for _name, _colour, values in series] + [0]))
    n = max(len(buckets), 1)
    group = (WIDTH - LEFT) / n
    bar = max(group * 0.8 / max(len(series), 1), 0.5)
    rects, labels = [], []
    for i, bucket in enumerate(buckets):
        for s, (name, colour, values) in enumerate(series):
            value = values[i]
            height = PLOT_HEIGHT * value / top
            rects.append(
                Rect(
                    x=round(LEFT + i * group + group * 0.1 + s * bar, 2),
                    y=round(PLOT_HEIGHT - height, 2),
                    width=round(bar, 2),
                    height=round(height, 2),
                    colour=colour,
                    title=f"{bucket}: {value:,} {name}",
                )
            )
    step = max(1, -(-n // TICKS))
    for i in range(0, len(buckets), step):
        labels.append(Label(x=round(LEFT + (i + 0.5) * group, 2), y=PLOT_HEIGHT + 16, text=buckets[i]))
    labels += [
        Label(x=LEFT - 6, y=12, text=f"{top:,}", anchor="end"),
        Label(x=LEFT - 6, y=PLOT_HEIGHT / 2 + 4, text=f"{top / 2:,.0f}" if top > 1 else "", anchor="end"),
        Label(x=LEFT - 6, y=PLOT_HEIGHT, text="0", anchor="end"),
    ]
    return Chart(WIDTH, PLOT_HEIGHT + BOTTOM, rects, labels, [0, PLOT_HEIGHT / 2])


ROW = 26  # height of a bar row
LABEL_WIDTH = 300  # room for the row labels
VALUE_WIDTH = 130  # room for the figure after the bar


def rows(items: list[tuple[str, float, str]], *, colour: str = BLUE, scale: float | None = None) -> Chart:
    """Horizontal bars: one row per ``(label, value, figure text)``; ``scale`` is the value of a
    full-length bar (default: the largest value)."""
    top = scale or max([value for _label, value, _text in items] + [1])
    length = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    rects, labels = [], []
    for i, (label, value, text) in enumerate(items):
        y = i * ROW
        width = length * value / top if top else 0
        rects.append(Rect(LABEL_WIDTH, y + 4, round(width, 2), ROW - 8, colour, f"{label}: {text}"))
        short = label if len(label) <= 40 else label[:39] + "…"
        labels.append(Label(LABEL_WIDTH - 8, y + ROW / 2 + 5, short, "end"))
        labels.append(Label(round(LABEL_WIDTH + width + 6, 2), y + ROW / 2 + 5, text, "start"))
    return Chart(WIDTH, max(len(items), 1) * ROW, rects, labels, [])


def table(headers: list[str], rows: list[tuple]) -> SafeString:
    """The figures of a chart as an HTML table (every cell escaped), for screen readers and keyboards."""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return mark_safe(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")  # noqa: S308 (escaped)
