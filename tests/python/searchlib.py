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
