"""Small checks the tests share: a reply's result, an xcctl run that must succeed, and a bounded
wait for a condition (every wait in the tests has a limit)."""

import time

import pytest


def ok(reply):
    """The result of a reply that must be an ack or a result."""
    assert reply["type"] in ("ack", "result"), reply
    return reply["data"]["result"] if reply["type"] == "ack" else reply["data"]


def done(run):
    """The stdout of a finished subprocess that must have exited 0."""
    assert run.returncode == 0, f"exit {run.returncode}\nstdout: {run.stdout}\nstderr: {run.stderr}"
    return run.stdout


def wait_for(fn, what, timeout):
    """fn () until it is truthy (its value), failing the test naming what after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if got:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not hold within {timeout} s")
        time.sleep(0.05)
