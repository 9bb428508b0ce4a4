"""Timing helpers: percentiles, interleaved runs, and one row of the report."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


def percentile(samples: list[float], fraction: float) -> float:
    """The value below which `fraction` of the samples lie (nearest rank)."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def time_ms(action: Callable[[], object]) -> float:
    """How long one call takes, in milliseconds."""
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def interleaved(
    subject: Callable[[], object], baseline: Callable[[], object], runs: int, warmup: int = 3
) -> tuple[list[float], list[float]]:
    """Alternate subject and baseline runs, so drift on a noisy machine hits both alike."""
    for _ in range(warmup):
        subject()
        baseline()
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(time_ms(subject))
        theirs.append(time_ms(baseline))
    return ours, theirs


@dataclass(frozen=True)
class Row:
    """One line of the report: a figure, its baseline, and the target it answers to."""

    section: str
    name: str
    value: float
    baseline: float | None
    unit: str
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.baseline:
            return None
        return self.value / self.baseline


def summary(samples: list[float]) -> dict[str, float]:
    """Median, p95 and p99 of a list of timings."""
    return {
        "p50": statistics.median(samples),
        "p95": percentile(samples, 0.95),
        "p99": percentile(samples, 0.99),
    }
