"""The two figures the benchmarks give for a set of timings: the median and the 95th percentile.

Imported by the benchmarks as `timing`, from beside them (a script's folder is first on its path).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable


def p50(values: Iterable[float]) -> float:
    return statistics.median(values)


def p95(values: Iterable[float]) -> float:
    """The 95th percentile, interpolated between the two nearest values (the inclusive method, so
    never beyond the largest); one value is its own percentile."""
    data = sorted(values)
    if len(data) < 2:
        return data[0]
    return statistics.quantiles(data, n=20, method="inclusive")[18]
