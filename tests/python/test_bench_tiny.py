"""make test runs every benchmark in its tiny size (XC_BENCH_TINY=1), so that none can rot:
each must exit 0 and print its figures as `BENCH <name> <value> <unit> floor=<v> ratio=<v>`.
The figures themselves are not judged here: a benchmark is not a test (make bench)."""
import glob
import os
import re
import subprocess
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LINE = re.compile(r"^BENCH ([a-z0-9_]+) (-?[0-9.]+) (\S+) floor=(-?[0-9.]+) ratio=(-?[0-9.]+)$")
BENCHES = sorted(glob.glob(os.path.join(REPO, "build", "test", "bench_*"))) + \
    sorted(glob.glob(os.path.join(REPO, "tests", "bench", "*_bench.py")))
# the figures issue 10 names, each printed by one of the benchmarks
EXPECTED = {"intake_accept", "end_to_end_latency_p50", "end_to_end_latency_p99", "stats_query",
            "overdue_sweep", "tick_idle_10k", "tick_idle_1m", "startup_1m"}
# issue 20: a district office's overdue list and stats at 1 and at 50 districts (districts_bench.py)
EXPECTED_20 = {"districts_overdue_1", "districts_overdue_50", "districts_stats_1", "districts_stats_50"}
# issue 21: the gateway against intake over ZeroMQ in the same run (gateway_bench.c); its idle
# figure is named after the connections held (gateway_idle_1000 in full, fewer when tiny)
EXPECTED_21 = {"gateway_accept", "gateway_accept_1000", "gateway_latency_500_p50", "gateway_latency_500_p99"}
seen = set()


@pytest.mark.parametrize("bench", BENCHES, ids=os.path.basename)
def test_tiny_benchmark_runs_and_prints_its_lines(bench):
    cmd = [sys.executable, bench] if bench.endswith(".py") else [bench]
    r = subprocess.run(cmd, cwd=REPO, env=dict(os.environ, XC_BENCH_TINY="1"),
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    lines = [l for l in r.stdout.splitlines() if l.startswith("BENCH")]
    assert lines, r.stdout
    for l in lines:
        m = LINE.match(l)
        assert m, f"not a BENCH line: {l!r}"
        seen.add(m.group(1))
    if bench.endswith("e2e_bench.py"):
        # the disk's fdatasync times during the load, which a latency tail is read against
        assert re.search(r"^# the disk of the services' stores during the load: \d+ fdatasyncs", r.stdout,
                         re.M), r.stdout
    if bench.endswith("bench_gateway_bench"):
        # every command acknowledged both ways, and every idle connection still served afterwards
        assert re.search(r"^# gateway_accept trial 3: \d+ commands/s over HTTP", r.stdout, re.M), r.stdout
        m = re.search(r"^# gateway_idle_(\d+): (\d+) keep-alive connections opened and each answered (\d+) "
                      r"of \d+ requests .* used again afterwards: (\d+) of \d+ answered 200", r.stdout, re.M)
        assert m and len(set(m.groups())) == 1, r.stdout
        assert not re.search(r"[1-9]\d* not acknowledged", r.stdout), r.stdout
    if bench.endswith("districts_bench.py"):
        # the district's view was measured over real answers: overdue items and problems seen,
        # the same at 1 and at 50 districts (the bench fails otherwise), the city's 50 times
        m = re.search(r"^# QX01's office sees (\d+) overdue items and (\d+) problems at 1 and at 50 districts; "
                      r"the city's intake.stats counts (\d+) and (\d+)$", r.stdout, re.M)
        assert m, r.stdout
        assert int(m.group(1)) > 0 and int(m.group(2)) > 0, m.group(0)
        assert int(m.group(4)) == 50 * int(m.group(3)), m.group(0)
    if bench.endswith("files_bench.py"):
        # the file came back equal, and every report was acknowledged with a verified answer
        assert re.search(r"^# download: \d+ bytes in \d+ pieces in [0-9.]+ s .*, equal to the file;", r.stdout,
                         re.M), r.stdout
        assert re.search(r"^# \d+ public reports, each acknowledged, verified and a problem of its own;", r.stdout,
                         re.M), r.stdout


def test_every_figure_of_issue_10_is_printed():
    assert len(BENCHES) >= 4, BENCHES
    missing = EXPECTED - seen
    assert not missing, f"no benchmark printed {sorted(missing)}"


def test_every_figure_of_issue_20_is_printed():
    missing = EXPECTED_20 - seen
    assert not missing, f"no benchmark printed {sorted(missing)}"


def test_every_figure_of_issue_21_is_printed():
    missing = EXPECTED_21 - seen
    assert not missing, f"no benchmark printed {sorted(missing)}"
    assert any(name.startswith("gateway_idle_") for name in seen), sorted(seen)


# issue 22: the console in chromium: the office's problem list and a unit's item list from
# navigation, a signed command from the click on 确认 to the verified ack (console_bench.py)
EXPECTED_22 = {"console_problems_ready", "console_unit_items_ready", "console_command", "console_command_p99"}


def test_every_figure_of_issue_22_is_printed():
    missing = EXPECTED_22 - seen
    assert not missing, f"no benchmark printed {sorted(missing)}"


# issue 23: 核验 in chromium, every event's link and signature checked in the reader's browser
# and over the five years' records of every service (verify_bench.py)
EXPECTED_23 = {"console_verify_events_per_s", "console_verify_5y_events_per_s"}


def test_every_figure_of_issue_23_is_printed():
    missing = EXPECTED_23 - seen
    assert not missing, f"no benchmark printed {sorted(missing)}"


# issue 24: an evidence file up (signed file.append chunks) and down (file.read pieces as raw
# bytes) through the gateway, and 码上巡's public report through it (files_bench.py)
EXPECTED_24 = {"files_upload_mb_per_s", "files_download_mb_per_s", "public_report_ms_p50", "public_report_ms_p99"}


def test_every_figure_of_issue_24_is_printed():
    missing = EXPECTED_24 - seen
    assert not missing, f"no benchmark printed {sorted(missing)}"


# issue 25: problem.search through the real xc-intake over the five years' simulation and over
# 1,000,000 problems loaded with the index kept by the store's triggers (search_bench.py)
EXPECTED_25 = {"search_5y_p50", "search_5y_p99", "search_1m_p50", "search_1m_p99"}


def test_every_figure_of_issue_25_is_printed():
    missing = EXPECTED_25 - seen
    assert not missing, f"no benchmark printed {sorted(missing)}"
