"""Figures from raw samples: percentiles and rates. Pure logic."""

import math


def percentile(samples: list[float], p: float) -> float:
    if not samples:
        return math.nan
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def latency_figures(samples_s: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(samples_s, 50) * 1000, 2),
        "p99_ms": round(percentile(samples_s, 99) * 1000, 2),
        "max_ms": round(max(samples_s) * 1000, 2) if samples_s else math.nan,
    }


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds the process has used."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / 100, int(fields[12]) / 100  # utime, stime in clock ticks of 1/100 s
