"""The persistence figures as a PNG chart: both stores side by side, appends a second as
bars, the p99 each rate was reached at written on its bar."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on a server

import matplotlib.pyplot as plt

COLOURS = {"sqlite": "#4C72B0", "cassandra": "#DD8452"}


def persistence(rows: list[dict], sizes, path: Path) -> Path:
    """`rows` as `persistence.side_by_side` makes them."""
    figure, axes = plt.subplots(figsize=(10, 5.5), dpi=110)
    width = 0.38
    for offset, (store, colour) in enumerate(COLOURS.items()):
        for index, row in enumerate(rows):
            if store not in row:
                continue
            rate, p99 = row[store]["appends_per_s"], row[store]["p99_ms"]
            x = index + (offset - 0.5) * width
            axes.bar(x, rate, width, color=colour, label=store if index == 0 else None)
            axes.annotate(f"{rate:,}/s\np99 {p99:.0f} ms", (x, rate), ha="center", va="bottom", fontsize=8)
    streams = sizes.persist_streams
    labels = []
    for row in rows:
        kind, spread = row["case"].split("_")
        what = "channel posts" if kind == "channel" else "DMs"
        labels.append(f"{what}\n{'1 stream' if spread == 'one' else f'{streams} streams'}")
    axes.set_xticks(range(len(rows)))
    axes.set_xticklabels(labels)
    axes.set_ylabel("acknowledged appends per second")
    in_flight, seconds = sizes.persist_in_flight, sizes.persist_seconds
    axes.set_title(f"Parley persistence: {in_flight} requests in flight, {seconds:g} s a case")
    axes.legend(title="store")
    axes.margins(y=0.2)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path
