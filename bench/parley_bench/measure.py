"""Figures: percentiles of raw samples, and the memory and CPU of a process and its
children (Linux /proc)."""

import math

from parley_runtime.children import family


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
    """Resident memory of the process and its children."""
    total = 0
    for member in family(pid):
        with open(f"/proc/{member}/status") as status:
            total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return total


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds the process and its children have used."""
    user = system = 0.0
    for member in family(pid):
        with open(f"/proc/{member}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        user, system = user + int(fields[11]) / 100, system + int(fields[12]) / 100  # clock ticks of 1/100 s
    return user, system
