"""Figures from samples, verdicts against issue 13's targets, and the table.
Pure functions: tests/benchmarks/test_stats.py checks them."""

import math
from dataclasses import dataclass


def percentile(values, q: float) -> float | None:
    """The q-th percentile (0–100) by linear interpolation between the two
    nearest ranks (NumPy's default): p50 of [1, 2, 3, 4] is 2.5."""
    ordered = sorted(values)
    if not ordered:
        return None
    if not 0 <= q <= 100:
        raise ValueError("q is a percentage")
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values) -> float | None:
    return percentile(values, 50)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


@dataclass(frozen=True)
class Target:
    """One of issue 13's targets: `figure` (median, p95, floor_ratio,
    speedup, seconds, peak_mib, rps) at most (or, for speedup and rps, at
    least) `limit`."""

    figure: str
    limit: float

    AT_LEAST = ("speedup", "rps")

    def met(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return value >= self.limit if self.figure in self.AT_LEAST else value <= self.limit

    def describe(self) -> str:
        if self.figure in ("median", "p95"):
            return f"{self.figure}≤{self.limit * 1000:g}ms"
        if self.figure == "floor_ratio":
            return f"≤{self.limit:g}×floor"
        if self.figure == "speedup":
            return f"≥{self.limit:g}×peer"
        if self.figure == "seconds":
            return f"≤{self.limit:g}s"
        if self.figure == "peak_mib":
            return f"≤{self.limit:g}MB"
        if self.figure == "rps":
            return f"≥{self.limit:g}/s"
        return f"{self.figure}≤{self.limit:g}"


def verdict(figures: dict, targets) -> tuple[str, list[str]]:
    """PASS when every target with a figure is met, MISS naming the ones that
    are not, "—" when there is nothing to judge."""
    missed, judged = [], 0
    for target in targets:
        met = target.met(figures.get(target.figure))
        if met is None:
            continue
        judged += 1
        if not met:
            missed.append(target.describe())
    if not judged:
        return "—", []
    return ("PASS" if not missed else "MISS"), missed


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    milliseconds = seconds * 1000
    return f"{milliseconds:.0f}" if milliseconds >= 10 else f"{milliseconds:.1f}"


def _x(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}×"


COLUMNS = ["page", "median ms", "p95 ms", "queries", "floor ms", "×floor", "target", "verdict", "peer ms", "speed-up"]


def table_rows(results: list[dict]) -> list[list[str]]:
    """One line per measured page: what `results` (as in the JSON file) say."""
    lines = []
    for row in results:
        if row.get("kind") == "throughput":
            lines.append(
                [
                    row["name"],
                    f"{row['rps']:.1f}/s" if row.get("rps") is not None else "—",
                    "",
                    "",
                    "",
                    "",
                    ", ".join(row.get("targets", [])),
                    row.get("verdict", "—"),
                    f"{row['peer_rps']:.1f}/s" if row.get("peer_rps") is not None else "",
                    _x(row.get("speedup")),
                ]
            )
            continue
        if row.get("kind") == "job":
            extra = ""
            if row.get("peak_mib") is not None:
                extra = f" (peak {row['peak_mib']:.0f} MB)"
            elif row.get("growth_mib") is not None:
                extra = f" (+{row['growth_mib']:.0f} MB)"
            lines.append(
                [
                    row["name"],
                    f"{row['seconds']:.2f} s{extra}" if row.get("seconds") is not None else "—",
                    "",
                    str(row["queries"]) if row.get("queries") is not None else "",
                    _ms(row.get("floor")),
                    _x(row.get("floor_ratio")),
                    ", ".join(row.get("targets", [])),
                    row.get("verdict", "—"),
                    "",
                    "",
                ]
            )
            continue
        queries = row.get("queries")
        lines.append(
            [
                row["name"],
                _ms(row.get("median")),
                _ms(row.get("p95")),
                "—" if queries is None else str(queries),
                _ms(row.get("floor")),
                _x(row.get("floor_ratio")),
                ", ".join(row.get("targets", [])),
                row.get("verdict", "—"),
                _ms(row.get("peer_median")) if row.get("peer") else "",
                _x(row.get("speedup")) if row.get("peer") else "",
            ]
        )
    return lines


def render_table(results: list[dict]) -> str:
    """A plain-text table, columns padded to their widest cell (CJK characters
    count twice, as a terminal shows them)."""
    rows = [COLUMNS, *table_rows(results)]

    def width(text: str) -> int:
        return sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in text)

    widths = [max(width(row[i]) for row in rows) for i in range(len(COLUMNS))]

    def line(row):
        cells = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - width(cell))
            cells.append(cell + pad if i in (0, 6, 7) else pad + cell)
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(rows[0]), rule, *(line(row) for row in rows[1:])])
