"""The persistence figures as a PNG chart: both stores side by side, appends a second as
bars, the p99 each rate was reached at written on its bar."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on a server

import matplotlib.pyplot as plt

CASES = [("channel", "one"), ("channel", "many"), ("dm", "one"), ("dm", "many")]
STORES = [("sqlite", "#4C72B0"), ("cassandra", "#DD8452")]


def persistence(results: dict, sizes, path: Path) -> Path:
    figure, axes = plt.subplots(figsize=(10, 5.5), dpi=110)
    width = 0.38
    for offset, (store, colour) in enumerate(STORES):
        figures = results.get(f"persistence_{store}")
        if not figures:
            continue
        for index, (kind, spread) in enumerate(CASES):
            rate = figures[f"{kind}_{spread}_appends_per_s"]
            x = index + (offset - 0.5) * width
            axes.bar(x, rate, width, color=colour, label=store if index == 0 else None)
            p99 = figures[f"{kind}_{spread}_p99_ms"]
            axes.annotate(f"{rate:,}/s\np99 {p99:.0f} ms", (x, rate), ha="center", va="bottom", fontsize=8)
    streams = sizes.persist_streams
    axes.set_xticks(range(len(CASES)))
    axes.set_xticklabels(
        [f"{kind} posts\n{'1 stream' if spread == 'one' else f'{streams} streams'}" for kind, spread in CASES]
    )
    axes.set_ylabel("acknowledged appends per second")
    in_flight, seconds = sizes.persist_in_flight, sizes.persist_seconds
    axes.set_title(f"Parley persistence: {in_flight} requests in flight, {seconds:g} s a case")
    axes.legend(title="store")
    axes.margins(y=0.2)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path
