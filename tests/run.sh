#!/usr/bin/env bash
# Runs test binaries (and pytest), sums their "N passed, N failed" lines into one last line.
#   tests/run.sh [--valgrind] BIN... [--pytest DIR]
# A binary that crashes, times out or prints no count line counts as one failed test.
set -u
valgrind=""
pytest_dir=""
bins=()
while [ $# -gt 0 ]; do
  case "$1" in
    --valgrind) valgrind="valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite --track-fds=no" ;;
    --pytest) pytest_dir="$2"; shift ;;
    *) bins+=("$1") ;;
  esac
  shift
done

passed=0; failed=0
count() {  # $1 name, $2 exit status, $3 output file
  local line p f
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$3" | tail -n 1)
  if [ -z "$line" ]; then
    echo "FAIL $1: exit $2 and no count line"; failed=$((failed + 1)); return
  fi
  p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
  f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
  if [ "$2" != 0 ] && [ "$f" = 0 ]; then f=1; echo "FAIL $1: exit $2"; fi
  passed=$((passed + p)); failed=$((failed + f))
  printf '%-44s %s\n' "$1" "$line"
}

out=$(mktemp); trap 'rm -f "$out"' EXIT
for b in "${bins[@]}"; do
  timeout 600 $valgrind "$b" >"$out" 2>&1; rc=$?
  if [ $rc != 0 ]; then cat "$out"; fi
  count "$(basename "$b")" $rc "$out"
done

if [ -n "$pytest_dir" ]; then
  # the whole suite, bounded; each test bounds its own waits (sanitizers make it about twice as slow).
  # Two workers (pytest-xdist), each taking whole files so a file's shared world is made once: the
  # tests mostly wait on services and the browser, so two run in about the time of one.
  # XC_PYTEST_WORKERS=0 runs them one after another in one process.
  workers=${XC_PYTEST_WORKERS:-2}
  par=()
  if [ "$workers" != 0 ]; then par=(-n "$workers" --dist loadfile); fi
  timeout "${XC_PYTEST_TIMEOUT:-1800}" "${PY:-/usr/bin/python3}" -m pytest -q -rs -p no:cacheprovider "${par[@]}" "$pytest_dir" >"$out" 2>&1; rc=$?
  if [ $rc != 0 ]; then cat "$out"; else grep '^SKIPPED' "$out"; fi   # a skip says why
  p=$(grep -Eo '[0-9]+ passed' "$out" | tail -n 1 | grep -Eo '[0-9]+'); p=${p:-0}
  f=$(grep -Eo '[0-9]+ (failed|error)' "$out" | awk '{s += $1} END {print s + 0}')
  if [ $rc != 0 ] && [ "$f" = 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f))
  printf '%-44s %s passed, %s failed\n' "pytest $pytest_dir" "$p" "$f"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
