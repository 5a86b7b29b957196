#!/usr/bin/env bash
# Whole-process `investigate` benchmark with a DuckDB reference, for each size in SIZES.
#
#   SIZES="100000 1000000 5000000" bench/investigate.sh      (default SIZES=100000)
#
# For each N: generate N Activity events and ~2N sign-ins as diagnostic-settings JSON Lines
# (`tokentrail-gen scale --activity N --formats diag --signin-formats diag`), run
# `tokentrail investigate DATA --out BUNDLE --timings` under GNU time (wall, user, sys, peak RSS,
# and the per-phase lines `--timings` prints on stderr), then DuckDB (Python package, 2 threads)
# doing only the uti = uniqueTokenIdentifier join of the same files (bench/duckdb_join.py), under
# GNU time too. A size whose data plus bundle would not fit on disk (df) is skipped, with a line
# saying so. Data and bundle are deleted after each size unless KEEP=1.
# Writes bench/results/investigate.md (and prints it).
#
# Environment: SIZES, KEEP=1, OUT (results file), SEED (default 1), DUCKDB_THREADS (default 2),
# KB_PER_EVENT (input size estimate, default 11; measured 10.9 KB per Activity event incl. ~2
# sign-ins), BUNDLE_FACTOR (bundle size / input size estimate, default 2.4; measured 2.3),
# GZIP=1 (the generator writes PT1H.json.gz files: sizes whose plain JSON would not fit on
# the disk; KB_PER_EVENT then defaults to 1.4 (1.36 measured at 100k) and BUNDLE_FACTOR to
# 7.5, since the bundle's outputs do not shrink), DUCKDB=0 (skip the DuckDB reference: time
# and memory growth only).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
require_gnu_time

SIZES="${SIZES:-100000}"
KEEP="${KEEP:-0}"
SEED="${SEED:-1}"
DUCKDB_THREADS="${DUCKDB_THREADS:-2}"
GZIP="${GZIP:-0}"
DUCKDB="${DUCKDB:-1}"
if [ "$GZIP" = 1 ]; then
  KB_PER_EVENT="${KB_PER_EVENT:-1.4}"
  BUNDLE_FACTOR="${BUNDLE_FACTOR:-7.5}"
  GEN_GZIP=(--gzip)
else
  KB_PER_EVENT="${KB_PER_EVENT:-11}"
  BUNDLE_FACTOR="${BUNDLE_FACTOR:-2.4}"
  GEN_GZIP=()
fi
DATA=bench/data
OUT="${OUT:-bench/results/investigate.md}"
VENV=bench/.venv
mkdir -p "$DATA" bench/results

cargo build --release -p tokentrail -p tokentrail-gen
GEN=./target/release/tokentrail-gen
TT=./target/release/tokentrail

DUCKDB_VERSION=""
if [ "$DUCKDB" = 1 ]; then
  if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import duckdb' 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet duckdb
  fi
  DUCKDB_VERSION=$("$VENV/bin/python" -c 'import duckdb; print(duckdb.__version__)')
fi

# Sequential write speed of the disk the bundle goes to (1 GiB, flushed): a bundle of B bytes
# cannot be written faster than B / this, whatever the CPU does.
DISK_LINE=$(dd if=/dev/zero of="$DATA/.ddtest" bs=1M count=1024 conv=fdatasync 2>&1 | tail -1)
rm -f "$DATA/.ddtest"
DISK_MBS=$(echo "$DISK_LINE" | awk '{b=$1; for (i=1;i<=NF;i++) if ($i=="s,") s=$(i-1); if (s>0) printf "%d", b/s/1e6}')
START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
COMMIT=$(commit_line)
ROWS=""       # main table
PHASE_SIZES=() # sizes that ran, for the phase table
declare -A PHASE # "label|N" -> seconds
PHASE_LABELS=()
GROWTH_PREV="" # "N wall rss" of the previous size that ran
GROWTH=""
LOG=$(mktemp -d)
trap 'rm -rf "$LOG"' EXIT

for N in $SIZES; do
  D="$DATA/inv-$N"
  B="$DATA/bundle-$N"
  rm -rf "$D" "$B"
  # Disk check: input estimate + bundle estimate against what df says is free here.
  need_kb=$(awk -v n="$N" -v k="$KB_PER_EVENT" -v f="$BUNDLE_FACTOR" 'BEGIN{printf "%d", n * k * (1 + f) * 1.1}')
  free_kb=$(df -Pk "$DATA" | awk 'NR==2{print $4}')
  if [ "$need_kb" -gt "$free_kb" ]; then
    line="| $N | skipped: needs ~$((need_kb / 1048576)) GiB (data + bundle + 10 %), df shows $((free_kb / 1048576)) GiB free | | | | | | | | | | | | |"
    ROWS+="$line"$'\n'
    echo "N=$N: skipped, needs ~$((need_kb / 1048576)) GiB, $((free_kb / 1048576)) GiB free" >&2
    continue
  fi

  echo "N=$N: generating" >&2
  run_timed "$LOG/gen" $GEN scale --activity "$N" --formats diag --signin-formats diag --seed "$SEED" "${GEN_GZIP[@]}" --out "$D" || {
    echo "generator failed:" >&2; tail -5 "$LOG/gen" >&2; exit 1; }
  GENLINE=$(grep -m1 'tokentrail-gen: scale' "$LOG/gen" || true)
  NSIGN=$(echo "$GENLINE" | sed -nE 's/.*, ([0-9]+) sign-ins.*/\1/p')
  BYTES=$(du -sb "$D" | cut -f1)
  sync

  LOAD=$(cut -d' ' -f1 /proc/loadavg)
  echo "N=$N: tokentrail investigate" >&2
  if run_timed "$LOG/tt" $TT investigate "$D" --out "$B" --timings; then
    TT_WALL=$(time_wall "$LOG/tt"); TT_USER=$(time_user "$LOG/tt"); TT_SYS=$(time_sys "$LOG/tt")
    TT_RSS=$(( $(time_rss_kb "$LOG/tt") / 1024 ))
    SUMMARY=$(cat "$LOG/tt" "$LOG/tt.out" | grep -m1 -E '^tokentrail: [0-9]+ files' | sed 's/^tokentrail: //' || true)
    BUNDLE_BYTES=$(du -sb "$B" | cut -f1)
    PARTS=$(du -sm "$B"/* | sort -rn | awk '{n=$2; sub(".*/","",n); printf "%s%s %s MB", (NR>1?", ":""), n, $1}')
    FLOOR=$(awk -v b="$BUNDLE_BYTES" -v r="${DISK_MBS:-0}" 'BEGIN{ if (r > 0) printf "%.0f", b / 1e6 / r; else print "?" }')
    BUNDLE_NOTES+="- N=$N: bundle $((BUNDLE_BYTES / 1000000)) MB ($PARTS); writing it at ${DISK_MBS:-?} MB/s takes at least $FLOOR s"$'\n'
    PHASE_SIZES+=("$N")
    # "tokentrail: timing:   92.306 s  144.340 s    5888 MiB  reading inputs"
    # (wall, CPU, peak RSS so far, phase; the header line has no figures and is skipped)
    while IFS='|' read -r secs cpu rss label; do
      [ -n "$label" ] || continue
      if [ -z "${PHASE["$label|seen"]:-}" ]; then PHASE["$label|seen"]=1; PHASE_LABELS+=("$label"); fi
      PHASE["$label|$N"]="$secs / $cpu / $rss"
    done < <(sed -nE 's/^tokentrail: timing: +([0-9.]+) s +([0-9.?]+) s +([0-9?]+) MiB +(.*)$/\1|\2|\3|\4/p' "$LOG/tt")
  else
    why=$(grep -m1 -E 'panicked|error|Error' "$LOG/tt" | tr '|' '/' | cut -c1-160)
    ROWS+="| $N | tokentrail failed: \`$why\` | | | | | | | | | | | | |"$'\n'
    echo "N=$N: tokentrail FAILED: $why" >&2
    [ "$KEEP" = 1 ] || rm -rf "$D" "$B"
    continue
  fi
  [ "$KEEP" = 1 ] || rm -rf "$B"
  sync

  echo "N=$N: DuckDB join" >&2
  if [ "$DUCKDB" != 1 ]; then
    DD_WALL=""; DD_CPU=""; DD_RSS=""; : >"$LOG/dd.out"
  elif run_timed "$LOG/dd" "$VENV/bin/python" bench/duckdb_join.py "$D/activity" "$D/signins" "$DUCKDB_THREADS"; then
    DD_WALL=$(time_wall "$LOG/dd"); DD_CPU=$(time_cpu "$LOG/dd")
    DD_RSS=$(( $(time_rss_kb "$LOG/dd") / 1024 ))
  else
    DD_WALL=""; DD_CPU=""; DD_RSS=""
    echo "N=$N: DuckDB FAILED" >&2; tail -3 "$LOG/dd" >&2
  fi
  DD_LINE=$(grep -m1 '^activity=' "$LOG/dd.out" 2>/dev/null || true)
  [ "$KEEP" = 1 ] || rm -rf "$D"

  TT_CPU=$(awk -v u="$TT_USER" -v s="$TT_SYS" 'BEGIN{printf "%.2f", u + s}')
  RATIO=$(awk -v a="$TT_WALL" -v b="$DD_WALL" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "n/a" }')
  RATIO_CPU=$(awk -v a="$TT_CPU" -v b="$DD_CPU" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "n/a" }')
  ROWS+="| $N | ${NSIGN:-?} | $((BYTES / 1000000)) | $LOAD | $TT_WALL | $TT_USER | $TT_SYS | $TT_RSS | $((BUNDLE_BYTES / 1000000)) | ${DD_WALL:-$([ "$DUCKDB" = 1 ] && echo failed || echo skipped)} | ${DD_CPU:-} | ${DD_RSS:-} | **$RATIO** | $RATIO_CPU |"$'\n'
  echo "N=$N: tokentrail wall ${TT_WALL}s cpu ${TT_CPU}s rss ${TT_RSS}MiB; DuckDB wall ${DD_WALL:-?}s; ratio $RATIO" >&2
  SUMMARIES+="- N=$N: tokentrail: $SUMMARY; DuckDB: ${DD_LINE:-no output}"$'\n'

  if [ -n "$GROWTH_PREV" ]; then
    read -r pN pW pC pR <<<"$GROWTH_PREV"
    GROWTH+=$(awk -v n1="$pN" -v n2="$N" -v w1="$pW" -v w2="$TT_WALL" -v c1="$pC" -v c2="$TT_CPU" -v r1="$pR" -v r2="$TT_RSS" 'BEGIN{
      nl = (n2 * log(n2)) / (n1 * log(n1));
      printf "| %d → %d | %.2f× | %.2f× | %.2f× | %.2f | %.2f× | %.2f | %.2f× |\n", n1, n2, n2 / n1, nl, w2 / w1, (w2 / w1) / nl, c2 / c1, (c2 / c1) / nl, r2 / r1 }')$'\n'
  fi
  GROWTH_PREV="$N $TT_WALL $TT_CPU $TT_RSS"
done

{
  echo "# investigate benchmark"
  echo
  echo "- Date: $START (UTC)"
  echo "- Machine: $(machine_line); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- Disk: ${DISK_MBS:-?} MB/s sequential write (\`dd if=/dev/zero bs=1M count=1024 conv=fdatasync\` in bench/data)"
  echo "- Commit: $COMMIT"
  echo "- Command: \`SIZES=\"$SIZES\"$([ "$GZIP" = 1 ] && echo " GZIP=1")$([ "$DUCKDB" = 1 ] || echo " DUCKDB=0") bench/investigate.sh\`"
  echo "- Per size N:"
  echo "  - data: \`tokentrail-gen scale --activity N --formats diag --signin-formats diag --seed $SEED${GEN_GZIP[*]:+ ${GEN_GZIP[*]}} --out bench/data/inv-N\`"
  echo "  - tokentrail: \`/usr/bin/time -v target/release/tokentrail investigate bench/data/inv-N --out bench/data/bundle-N --timings\`"
  if [ "$DUCKDB" = 1 ]; then
    echo "  - DuckDB $DUCKDB_VERSION (Python package, \`SET threads = $DUCKDB_THREADS\`):"
  else
    echo "  - DuckDB: not run (\`DUCKDB=0\`); it would be:"
  fi
  echo "    \`/usr/bin/time -v bench/.venv/bin/python bench/duckdb_join.py bench/data/inv-N/activity bench/data/inv-N/signins $DUCKDB_THREADS\`"
  echo "    (reads both JSON Lines trees with \`read_json\`, reduces \`identity.claims.uti\` and"
  echo "    \`properties.uniqueTokenIdentifier\` to the token GUID, joins and counts; nothing else)"
  echo
  echo "Ratio = tokentrail wall / DuckDB wall (the issue's target is ≤ 0.5); CPU ratio = the same with"
  echo "user + sys, steadier when other jobs share the cores (load = 1-minute load average when"
  echo "tokentrail started). tokentrail wall includes copying the inputs into the bundle and every"
  echo "output; DuckDB wall includes Python start-up."
  echo
  echo "| N activity | sign-ins | input MB | load | tokentrail wall s | user s | sys s | peak RSS MiB | bundle MB | DuckDB wall s | DuckDB CPU s | DuckDB RSS MiB | ratio | CPU ratio |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf "%s" "$ROWS"
  if [ ${#PHASE_SIZES[@]} -gt 0 ]; then
    echo
    echo "### tokentrail phases (\`--timings\`: wall s / CPU s / peak RSS MiB at the end of the phase)"
    echo
    printf "| phase |"; for n in "${PHASE_SIZES[@]}"; do printf " N=%s |" "$n"; done; echo
    printf "|---|"; for _ in "${PHASE_SIZES[@]}"; do printf -- "---:|"; done; echo
    for l in "${PHASE_LABELS[@]}"; do
      printf "| %s |" "$l"
      for n in "${PHASE_SIZES[@]}"; do printf " %s |" "${PHASE["$l|$n"]:-}"; done
      echo
    done
  fi
  if [ -n "$GROWTH" ]; then
    echo
    echo "### Growth between consecutive sizes (tokentrail)"
    echo
    echo "time ratio / n log n ratio ≤ 1.00 means growth no worse than n log n."
    echo
    echo "| sizes | N ratio | n log n ratio | wall ratio | wall / n log n | CPU ratio | CPU / n log n | peak RSS ratio |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    printf "%s" "$GROWTH"
  fi
  if [ -n "${BUNDLE_NOTES:-}" ]; then
    echo
    echo "### Bundle size and the disk floor"
    echo
    printf "%s" "$BUNDLE_NOTES"
  fi
  if [ -n "${SUMMARIES:-}" ]; then
    echo
    echo "### Outputs"
    echo
    printf "%s" "$SUMMARIES"
  fi
} > "$OUT"
cat "$OUT"
