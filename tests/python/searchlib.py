"""searchlib.py: a sqlite3 connection with the suite's search tokenizer (common/search.h).

A test or bench that writes a store's indexed tables directly (problems, items, measures,
referrals, units) must use connect(): the triggers that keep the search index call the
xc_bigram tokenizer, which plain sqlite3 does not have ("no such tokenizer: xc_bigram").
"""
import os
import sqlite3

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXTENSION = os.path.join(ROOT, "build", "lib", "xc_search.so")


def load(conn):
    """Loads the tokenizer on an open connection; returns it."""
    if not os.path.exists(EXTENSION):
        raise RuntimeError("%s is missing: run make" % EXTENSION)
    conn.enable_load_extension(True)
    try:
        conn.load_extension(EXTENSION)    # entry point sqlite3_xcsearch_init, from the name
    finally:
        conn.enable_load_extension(False)
    return conn


def connect(path, **kwargs):
    """sqlite3.connect(path, **kwargs) with the xc_bigram tokenizer loaded."""
    return load(sqlite3.connect(path, **kwargs))


def insert_many(conn, table, names, rows, batch=100000):
    """INSERT INTO table (names) the rows (sequences in names' order), for a bulk load.

    Row by row, a load through the search triggers is about six times slower: FTS5 writes its
    pending index out at every statement savepoint, and a statement that fires a trigger opens
    one. So the rows go into a temporary table first and then in one INSERT ... SELECT per
    batch, each a single statement for FTS5. Needs a transaction of the caller's (or none)."""
    cols = ", ".join(names)
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS xc_load_{table} AS SELECT {cols} FROM main.{table} WHERE 0")
    put = f"INSERT INTO temp.xc_load_{table} ({cols}) VALUES ({', '.join('?' * len(names))})"
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == batch:
            _flush(conn, table, cols, put, chunk)
            chunk = []
    if chunk:
        _flush(conn, table, cols, put, chunk)
    conn.execute(f"DROP TABLE temp.xc_load_{table}")


def _flush(conn, table, cols, put, chunk):
    conn.executemany(put, chunk)
    conn.execute(f"INSERT INTO main.{table} ({cols}) SELECT {cols} FROM temp.xc_load_{table}")
    conn.execute(f"DELETE FROM temp.xc_load_{table}")
