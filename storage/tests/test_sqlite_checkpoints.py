"""A SQLite database closed while its checkpoint thread is at work: the process lives on.
Run in a process of its own, since what this guards against is a segmentation fault."""

import subprocess
import sys

CLOSES = 150
SCRIPT = f"""
import asyncio, random, sys
from parley_storage import sqlite

async def main():
    sqlite.CHECKPOINT_EVERY_S = 0  # a checkpoint is always under way
    for _ in range({CLOSES}):
        db = await sqlite.Database.open(sys.argv[1], "CREATE TABLE IF NOT EXISTS t (body TEXT);")
        for _ in range(20):
            await db.write(lambda tx: tx.execute("INSERT INTO t VALUES (?)", ("x" * 2000,)))
        await asyncio.sleep(random.random() * 0.003)
        await db.close()

asyncio.run(main())
"""


def test_closing_while_a_checkpoint_runs_does_not_crash_the_process(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "busy.sqlite3")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
