"""The persistence chart and table, from sample results: pure logic and a file."""

from parley_bench import chart
from parley_bench.persistence import CASES, side_by_side, side_by_side_table
from parley_bench.target import QUICK

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def sample(rate: int, p99_ms: float) -> dict:
    figures: dict[str, float] = {}
    for n, (kind, spread) in enumerate(CASES):
        figures[f"{kind}_{spread}_appends_per_s"] = rate + n
        figures[f"{kind}_{spread}_p99_ms"] = p99_ms + n
    return figures


def test_both_stores_are_set_side_by_side_for_every_case():
    rows = side_by_side({"persistence_sqlite": sample(3100, 80.0), "persistence_cassandra": sample(2050, 120.0)})
    assert [row["case"] for row in rows] == ["channel_one", "channel_many", "dm_one", "dm_many"]
    assert rows[3] == {
        "case": "dm_many",
        "sqlite": {"appends_per_s": 3103, "p99_ms": 83.0},
        "cassandra": {"appends_per_s": 2053, "p99_ms": 123.0},
    }
    table = side_by_side_table(rows).splitlines()
    assert "sqlite" in table[0] and "cassandra" in table[0]
    assert "3,103/s at p99" in table[4] and "2,053/s at p99" in table[4]


def test_the_chart_is_a_png_beside_the_json(tmp_path):
    rows = side_by_side({"persistence_sqlite": sample(3100, 80.0), "persistence_cassandra": sample(2050, 120.0)})
    drawn = chart.persistence(rows, QUICK, tmp_path / "results-quick.png")
    assert drawn == tmp_path / "results-quick.png"
    assert drawn.read_bytes().startswith(PNG_SIGNATURE) and drawn.stat().st_size > 10_000


def test_a_store_that_was_not_measured_leaves_its_bars_out(tmp_path):
    rows = side_by_side({"persistence_sqlite": sample(3100, 80.0)})
    assert all("cassandra" not in row for row in rows)
    drawn = chart.persistence(rows, QUICK, tmp_path / "sqlite-only.png")
    assert drawn.read_bytes().startswith(PNG_SIGNATURE)
