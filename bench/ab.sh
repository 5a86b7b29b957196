#!/usr/bin/env bash
# A/B comparison of two tokentrail binaries on the same inputs: runs
# `investigate INPUTS --out BUNDLE --timings` with each binary in turn, ROUNDS times
# (A, B, A, B, …), removing the bundle and calling `sync` before every run, and prints one
# line per run (wall, user, sys, peak RSS, then wall/CPU seconds of every phase) and the
# median wall and CPU time of each binary (and of user and system time apart). On a shared or
# virtual machine whose speed drifts over minutes, alternating runs are the only fair
# comparison of two commits.
#
#   bench/ab.sh BIN_A BIN_B INPUTS [ROUNDS]     (ROUNDS defaults to 2)
#
# Build the two binaries first, e.g. `git stash; cargo build --release -p tokentrail;
# cp target/release/tokentrail /tmp/tt-a; git stash pop; cargo build --release -p tokentrail`.
# The bundles go to bench/data/ab-bundle (about twice the inputs' size; removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
require_gnu_time

if [ $# -lt 3 ]; then
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
A=$1 B=$2 INPUTS=$3 ROUNDS=${4:-2}
for bin in "$A" "$B"; do
  [ -x "$bin" ] || { echo "not an executable: $bin" >&2; exit 2; }
done
OUT=bench/data/ab-bundle
LOG=$(mktemp -d)
mkdir -p bench/data
trap 'rm -rf "$LOG" "$OUT"' EXIT

echo "# A = $A"
echo "# B = $B"
echo "# inputs: $INPUTS; $ROUNDS rounds; $(machine_line); $(date -u +%Y-%m-%dT%H:%M:%SZ)"
declare -A WALLS CPUS USERS SYSS
for r in $(seq 1 "$ROUNDS"); do
  for side in A B; do
    bin=$A
    [ "$side" = B ] && bin=$B
    rm -rf "$OUT"
    sync
    if ! run_timed "$LOG/run" "$bin" investigate "$INPUTS" --out "$OUT" --timings; then
      echo "$side run $r failed:" >&2
      tail -3 "$LOG/run" >&2
      exit 1
    fi
    wall=$(time_wall "$LOG/run")
    cpu=$(time_cpu "$LOG/run")
    WALLS[$side]+="$wall "
    CPUS[$side]+="$cpu "
    USERS[$side]+="$(time_user "$LOG/run") "
    SYSS[$side]+="$(time_sys "$LOG/run") "
    # "tokentrail: timing:   92.306 s  144.340 s    5888 MiB  reading inputs"
    phases=$(sed -nE 's/^tokentrail: timing: +([0-9.]+) s +([0-9.?]+) s +[0-9?]+ MiB +(.*)$/\3 \1\/\2;/p' "$LOG/run" | tr '\n' ' ')
    printf '%s run %d: wall %s s, user %s s, sys %s s, peak RSS %d MiB | %s\n' \
      "$side" "$r" "$wall" "$(time_user "$LOG/run")" "$(time_sys "$LOG/run")" \
      "$(($(time_rss_kb "$LOG/run") / 1024))" "$phases"
  done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for side in A B; do
  echo "$side median: wall $(echo "${WALLS[$side]}" | median) s, CPU $(echo "${CPUS[$side]}" | median) s (user $(echo "${USERS[$side]}" | median) s, sys $(echo "${SYSS[$side]}" | median) s)"
done
