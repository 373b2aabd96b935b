#!/usr/bin/env python3
"""What each index of the predictions table costs SQLite per inserted row.

Inserts rows shaped like the store's predictions (schema 8's columns, time-ordered prediction
ids, random request ids) in transactions of 256, WAL and synchronous=NORMAL as the store opens
its file, into three tables: with the prediction_id key and the created_at index (the store's
table), without the key's index, and with neither. Prints the time per row of the inserts and
commits (row building not timed; Python's own per-row call cost is in every figure alike), each
variant run twice in turn so a slow spell of the machine shows as disagreement.

    python3 bench/sqlite_index_cost.py [BATCHES]   # default 800 batches of 256 rows
"""
import os
import random
import sqlite3
import sys
import tempfile
import time

COLUMNS = """request_id TEXT NOT NULL, approach TEXT NOT NULL,
    arm TEXT NOT NULL, segment TEXT NOT NULL, label TEXT NOT NULL,
    confidence DOUBLE PRECISION, abstained INTEGER NOT NULL,
    latency_ms DOUBLE PRECISION NOT NULL, upstream_ms DOUBLE PRECISION NOT NULL,
    tokens_in BIGINT NOT NULL, tokens_out BIGINT NOT NULL, cost_usd DOUBLE PRECISION,
    error TEXT, fallback INTEGER NOT NULL, simulated INTEGER NOT NULL,
    text_hash TEXT NOT NULL, created_at BIGINT NOT NULL, model_version TEXT NOT NULL,
    timed_out INTEGER NOT NULL DEFAULT 0, cached INTEGER NOT NULL DEFAULT 0"""

VARIANTS = {
    "key and created_at index (the store's)": ("prediction_id TEXT PRIMARY KEY", True),
    "created_at index only": ("prediction_id TEXT", True),
    "no index": ("prediction_id TEXT", False),
}


def per_row_us(folder, number, key, created_index, batches, seed):
    path = os.path.join(folder, f"variant{number}.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(f"CREATE TABLE predictions ({key}, {COLUMNS})")
    if created_index:
        db.execute("CREATE INDEX predictions_created ON predictions(created_at)")
    rng = random.Random(seed)
    insert = "INSERT INTO predictions VALUES (" + ", ".join("?" * 21) + ")"
    ms = 1_764_800_000_000.0  # 5,000 rows a second
    timed = 0.0
    for batch in range(batches):
        rows = []
        for _ in range(256):
            ms += 0.2
            rows.append((f"{int(ms):012x}{rng.getrandbits(80):020x}",
                         f"T-{rng.getrandbits(40)}", "llm-zero-shot", "champion", "enterprise",
                         "billing", 0.93, 0, 0.41, 0.38, 312, 3, 0.00012, None, 0, 0,
                         f"{rng.getrandbits(64):016x}", int(ms), "v1", 0, 0))
        start = time.perf_counter()
        db.execute("BEGIN")
        db.executemany(insert, rows)
        db.execute("COMMIT")
        if batch > 0:  # the first transaction creates the file's pages
            timed += time.perf_counter() - start
    db.close()
    return timed / ((batches - 1) * 256) * 1e6


def main():
    batches = int(sys.argv[1]) if len(sys.argv) > 1 else 800
    if batches < 2:
        sys.exit("BATCHES must be 2 or more")
    with tempfile.TemporaryDirectory(prefix="tunecase-index-cost.") as folder:
        for run in (1, 2):
            for number, (name, (key, created_index)) in enumerate(VARIANTS.items()):
                us = per_row_us(folder, number, key, created_index, batches, seed=run)
                print(f"run {run}: {name}: {us:.2f} us per row (measured, "
                      f"{(batches - 1) * 256} rows)")


if __name__ == "__main__":
    main()
