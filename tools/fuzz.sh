#!/bin/sh
# fuzz.sh: builds the libFuzzer targets of tests/fuzz/ and runs each for N seconds.
#
#   tools/fuzz.sh [N] [TARGET...]        (make fuzz FUZZ_SECONDS=N runs tools/fuzz.sh N)
#
# N defaults to 10; TARGETs default to all of them: envelope verify verify_signed config json
# decode_intake decode_referral decode_rectify decode_notify gateway filetype search_match (each tests/fuzz/<target>_fuzz.c
# says what it takes). Needs clang with libFuzzer (Debian: clang-14 libclang-rt-14-dev); says
# so in one line and fails without it. Builds into build/fuzz/ with
# -fsanitize=fuzzer,address,undefined (tests/fuzz/fuzz.mk), copies the seeds of
# tests/fuzz/corpus/<target>/ into build/fuzz/corpus/<target>/ (the fuzzer adds to that copy,
# never to the repository's seeds), runs each target for N seconds and prints one line per target:
#
#   FUZZ <target> execs=<n> cov=<edges> ft=<features> corpus=<n> crashes=<n>
#
# A crash, a leak, a timeout or running out of memory is a crash: its input is kept under
# build/fuzz/crashes/<target>/, the sanitizer's report in build/fuzz/<target>.log, and the run
# fails; build/fuzz/<target> <input> replays one. Inputs kept by an earlier run are tried again
# first; those that pass now move to build/fuzz/crashes/<target>/fixed/.
set -u

cd "$(dirname "$0")/.." || exit 1
ALL="envelope verify verify_signed config json decode_intake decode_referral decode_rectify decode_notify gateway filetype search_match"
SECONDS_EACH=${1:-10}
case "$SECONDS_EACH" in
    ''|*[!0-9]*|0*) echo "fuzz: N must be a whole number of seconds from 1, not '$SECONDS_EACH'"; exit 2 ;;
esac
[ $# -gt 0 ] && shift
TARGETS=${*:-$ALL}
for t in $TARGETS; do
    case " $ALL " in *" $t "*) ;; *) echo "fuzz: no target '$t' (targets: $ALL)"; exit 2 ;; esac
done

# clang with libFuzzer: a one-line program must build with -fsanitize=fuzzer
CC=${FUZZ_CC:-}
if [ -z "$CC" ]; then
    for c in clang-14 clang; do command -v "$c" >/dev/null 2>&1 && { CC=$c; break; }; done
fi
F=build/fuzz
mkdir -p "$F" || exit 1
if [ -z "$CC" ]; then
    echo "fuzz: clang is missing (as root: apt-get install -y clang-14 libclang-rt-14-dev)"
    exit 1
fi
printf 'int LLVMFuzzerTestOneInput (const unsigned char *d, unsigned long n) { (void) d; (void) n; return 0; }\n' \
    > "$F/probe.c"
if ! "$CC" -fsanitize=fuzzer,address,undefined "$F/probe.c" -o "$F/probe" >/dev/null 2>&1; then
    echo "fuzz: $CC cannot build with libFuzzer (as root: apt-get install -y clang-14 libclang-rt-14-dev)"
    exit 1
fi
rm -f "$F/probe" "$F/probe.c"

JOBS=$(nproc 2>/dev/null || echo 2)
BINS=""
for t in $TARGETS; do BINS="$BINS $F/$t"; done
# shellcheck disable=SC2086  # one word per target
if ! make -s -f tests/fuzz/fuzz.mk -j"$JOBS" FUZZ_CC="$CC" $BINS; then
    echo "fuzz: the targets do not build"
    exit 1
fi

# the longest input each target is given
max_len () {
    case "$1" in
        envelope|verify) echo 16384 ;;
        config) echo 16384 ;;
        verify_signed) echo 8192 ;;
        *) echo 4096 ;;
    esac
}

# the files (not folders) directly in a folder
count_files () {
    find "$1" -mindepth 1 -maxdepth 1 -type f | wc -l
}

# the value of "name: <value>" in the last status line of a log
status_field () {
    grep -E '^#[0-9]+[[:space:]].* cov: ' "$1" | tail -n 1 | sed -n "s/.* $2: \\([0-9]*\\).*/\\1/p"
}

# the targets' own files (fuzz.h, xc_fuzz_dir), and what a crashed one leaves, stay in build/
TMPDIR=$(pwd)/$F/tmp
export TMPDIR
rm -rf "$TMPDIR" && mkdir -p "$TMPDIR" || exit 1

failed=0
for t in $TARGETS; do
    corpus=$F/corpus/$t
    crashes=$F/crashes/$t
    log=$F/$t.log
    mkdir -p "$corpus" "$crashes"
    cp tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null
    : > "$log"
    : > "$F/$t.replay.log"

    # what crashed before: still crashing counts, fixed moves aside
    n_crashes=0
    for old in "$crashes"/*; do
        [ -f "$old" ] || continue
        if "$F/$t" -timeout=10 -rss_limit_mb=2048 "$old" >> "$F/$t.replay.log" 2>&1; then
            mkdir -p "$crashes/fixed" && mv "$old" "$crashes/fixed/"
        else
            n_crashes=$((n_crashes + 1))
            echo "fuzz: $t still fails on $old (see $F/$t.replay.log)"
        fi
    done

    before=$(count_files "$crashes")
    "$F/$t" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -max_len="$(max_len "$t")" \
        -timeout=10 -rss_limit_mb=2048 -dict=tests/fuzz/xuncha.dict \
        -artifact_prefix="$crashes/" "$corpus" >> "$log" 2>&1
    rc=$?
    after=$(count_files "$crashes")
    n_crashes=$((n_crashes + after - before))
    if [ "$rc" -ne 0 ] && [ "$after" -eq "$before" ]; then
        n_crashes=$((n_crashes + 1))      # stopped without an input to keep: still a failure
        echo "fuzz: $t exited with $rc (see $log)"
    fi

    execs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    [ -n "$execs" ] || execs=$(grep -E '^#[0-9]+[[:space:]]' "$log" | tail -n 1 | sed 's/^#\([0-9]*\).*/\1/')
    cov=$(status_field "$log" cov)
    ft=$(status_field "$log" ft)
    corp=$(status_field "$log" corp)
    [ -n "$corp" ] || corp=$(count_files "$corpus")
    echo "FUZZ $t execs=${execs:-0} cov=${cov:-0} ft=${ft:-0} corpus=$corp crashes=$n_crashes"
    if [ "$n_crashes" -gt 0 ]; then
        failed=1
        grep -E '^(SUMMARY|==[0-9]+==ERROR|fuzz: .*broken)' "$log" | head -n 3 | sed "s|^|fuzz: $t: |"
        find "$crashes" -mindepth 1 -maxdepth 1 -type f | head -n 3 | sed "s|^|fuzz: $t: input kept in |"
    fi
done
exit $failed
