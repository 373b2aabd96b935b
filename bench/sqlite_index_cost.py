#!/usr/bin/env python3
"""What each index of the predictions table costs SQLite per inserted row.

Takes the predictions table as a store written by `tunecase serve` has it (its CREATE TABLE
and CREATE INDEX statements, and its rows as templates; `tunecase demo` writes one to
tunecase-demo/pilot/pilot.db) and inserts copies of those rows, each with a fresh
time-ordered prediction id, a random request id and a creation time 0.2 ms after the last
(5,000 a second), in transactions of 256, WAL and synchronous=NORMAL as the store opens its
file, into three new tables: the store's own, one without the prediction_id key's index, one
with no index at all. Prints the time per row of the inserts and commits (row building is not
timed; Python's own per-row call cost is in every figure alike), each variant run three times
in turn so that a slow spell of the machine shows as disagreement.

    python3 bench/sqlite_index_cost.py [STORE [BATCHES]]
        # STORE: default tunecase-demo/pilot/pilot.db; BATCHES: default 800 of 256 rows
"""
import os
import random
import re
import sqlite3
import sys
import tempfile
import time


def read_store(path):
    """The predictions table's CREATE TABLE, its CREATE INDEX statements and its rows."""
    if not os.path.exists(path):
        sys.exit(f"{path}: no such store; run `tunecase demo` first, or name a store "
                 "`tunecase serve` wrote")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    table = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND "
                       "name = 'predictions'").fetchone()
    if table is None:
        sys.exit(f"{path}: no predictions table: not a tunecase store")
    indexes = [r[0] for r in db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'predictions' "
        "AND sql IS NOT NULL")]
    columns = [r[1] for r in db.execute("PRAGMA table_info(predictions)")]
    rows = db.execute("SELECT * FROM predictions LIMIT 1000").fetchall()
    db.close()
    if not rows:
        sys.exit(f"{path}: the predictions table is empty; rows are needed as templates")
    return table[0], indexes, columns, rows


def variants(table_sql, indexes):
    without_key = re.sub(r"(prediction_id\s+TEXT)\s+PRIMARY\s+KEY", r"\1", table_sql)
    if without_key == table_sql:
        sys.exit("the predictions table has no `prediction_id TEXT PRIMARY KEY`: update this script")
    return {
        "the store's table and indexes": (table_sql, indexes),
        "without the prediction_id key's index": (without_key, indexes),
        "no index": (without_key, []),
    }


def per_row_us(folder, number, table_sql, indexes, columns, templates, batches, seed):
    path = os.path.join(folder, f"variant{number}.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(table_sql)
    for index in indexes:
        db.execute(index)
    fresh = {name: columns.index(name) for name in ("prediction_id", "request_id", "created_at")}
    insert = f"INSERT INTO predictions({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    rng = random.Random(seed)
    ms = 1_764_800_000_000.0
    timed = 0.0
    for batch in range(batches):
        rows = []
        for i in range(256):
            ms += 0.2
            row = list(templates[(batch * 256 + i) % len(templates)])
            row[fresh["prediction_id"]] = f"{int(ms):012x}{rng.getrandbits(80):020x}"
            row[fresh["request_id"]] = f"T-{rng.getrandbits(40)}"
            row[fresh["created_at"]] = int(ms)
            rows.append(row)
        start = time.perf_counter()
        db.execute("BEGIN")
        db.executemany(insert, rows)
        db.execute("COMMIT")
        if batch > 0:  # the first transaction creates the file's pages
            timed += time.perf_counter() - start
    db.close()
    return timed / ((batches - 1) * 256) * 1e6


def main():
    store = sys.argv[1] if len(sys.argv) > 1 else "tunecase-demo/pilot/pilot.db"
    batches = int(sys.argv[2]) if len(sys.argv) > 2 else 800
    if batches < 2:
        sys.exit("BATCHES must be 2 or more")
    table_sql, indexes, columns, templates = read_store(store)
    with tempfile.TemporaryDirectory(prefix="tunecase-index-cost.") as folder:
        for run in (1, 2, 3):
            for number, (name, (sql, idx)) in enumerate(variants(table_sql, indexes).items()):
                us = per_row_us(folder, number, sql, idx, columns, templates, batches, seed=run)
                print(f"run {run}: {name}: {us:.2f} us per row (measured, "
                      f"{(batches - 1) * 256} rows; template rows from {store})", flush=True)


if __name__ == "__main__":
    main()
