#!/usr/bin/env bash
# Whole-process parse benchmark: builds release binaries, generates a >= SIZE (default 1G)
# `az monitor activity-log list -o json` array under bench/data/, and measures
# `tokentrail parse -q` on 1 core and 2 cores with GNU time, plus the plain serde_json
# typed-parse baseline (`tokentrail-gen baseline`) on the same bytes. Also measures the
# generator's own throughput. Writes bench/results/parse.md (bench/RESULTS.md is the hand-kept summary).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE="${SIZE:-1G}"
GEN_N="${GEN_N:-100000}"
DATA=bench/data
OUT=bench/results/parse.md
mkdir -p bench/results
. bench/lib.sh
require_gnu_time
cargo build --release -p tokentrail -p tokentrail-gen
GEN=./target/release/tokentrail-gen
TT=./target/release/tokentrail
mkdir -p "$DATA"
F="$DATA/az-$SIZE/activity/az-activity-log.json"
L="$DATA/az-$SIZE/activity/az-activity-log.jsonl"
if [ ! -f "$F" ] || [ ! -f "$L" ]; then
  rm -rf "$DATA/az-$SIZE"
  # The same events twice: the az array (>= SIZE) and compact JSON Lines.
  $GEN scale --az-bytes "$SIZE" --formats az,az-lines --seed 1 --out "$DATA/az-$SIZE"
fi
RECORDS=$(grep -c '"eventDataId"' "$F")
sync

measure() { # label, file, cores(taskset list), threads, command...
  local label=$1 file=$2 cpus=$3 threads=$4; shift 4
  local log; log=$(mktemp)
  local BYTES; BYTES=$(stat -c %s "$file")
  if ! RAYON_NUM_THREADS=$threads taskset -c "$cpus" "$TIME" -v "$@" >/dev/null 2>"$log"; then
    local why; why=$(grep -m1 -E 'panicked|error' "$log" | tr '|' '/' | cut -c1-160)
    echo "| $label | $(basename "$file") | failed: \`$why\` | | | | | | |"
    echo "$label: FAILED: $why" >&2
    rm -f "$log"
    return 0
  fi
  local secs rss user sys
  secs=$(time_wall "$log")
  rss=$(time_rss_kb "$log")
  user=$(time_user "$log")
  sys=$(time_sys "$log")
  local mbs; mbs=$(awk -v b="$BYTES" -v s="$secs" 'BEGIN{printf "%.1f", b/1e6/s}')
  local rps; rps=$(awk -v r="$RECORDS" -v s="$secs" 'BEGIN{printf "%.0f", r/s}')
  local cpu; cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')
  local cmbs; cmbs=$(awk -v b="$BYTES" -v c="$cpu" 'BEGIN{printf "%.1f", b/1e6/c}')
  echo "| $label | $(basename "$file") | $secs | $user | $sys | $mbs | $cmbs | $rps | $((rss / 1024)) |"
  echo "$label: wall ${secs}s user ${user}s sys ${sys}s ${mbs} MB/s ${rps} rec/s peak RSS ${rss} KB" >&2
  rm -f "$log"
}

ROWS=""
ROWS+=$(measure "tokentrail parse, 1 core" "$F" 0 1 $TT parse -q "$F")$'\n'
ROWS+=$(measure "tokentrail parse, 2 cores" "$F" 0,1 2 $TT parse -q "$F")$'\n'
ROWS+=$(measure "tokentrail parse, 1 core" "$L" 0 1 $TT parse -q "$L")$'\n'
ROWS+=$(measure "tokentrail parse, 2 cores" "$L" 0,1 2 $TT parse -q "$L")$'\n'
ROWS+=$(measure "serde_json baseline, 1 core" "$F" 0 1 $GEN baseline "$F")$'\n'
ROWS+=$(measure "serde_json baseline, 1 core" "$L" 0 1 $GEN baseline "$L")$'\n'
# Graph beta sign-in pages (value pages of ~1000 sign-ins) and diagnostic PT1H.json trees
# (many small files): the two sign-in shapes an investigation reads most.
G="$DATA/graph-$SIZE"
if [ ! -d "$G/signins/graph" ]; then
  rm -rf "$G"
  $GEN scale --activity "${GRAPH_N:-30000}" --formats az --signin-formats graph --seed 1 --out "$G"
fi
D="$DATA/diag-$SIZE"
if [ ! -d "$D/signins" ]; then
  rm -rf "$D"
  $GEN scale --activity "${DIAG_N:-20000}" --formats diag --signin-formats diag --seed 1 --out "$D"
fi
GB=$(du -sb "$G/signins/graph" | cut -f1)
DB=$(du -sb "$D" | cut -f1)
measure_dir() { # label, dir, bytes
  local label=$1 dir=$2 bytes=$3 log; log=$(mktemp)
  RAYON_NUM_THREADS=1 taskset -c 0 "$TIME" -v $TT parse -q "$dir" >/dev/null 2>"$log" || true
  local user sys; user=$(awk -F': ' '/User time/{print $2}' "$log"); sys=$(awk -F': ' '/System time/{print $2}' "$log")
  local cpu; cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')
  echo "| $label | $(basename "$dir") ($bytes bytes, $(find "$dir" -type f | wc -l) files) | $user | $sys | $(awk -v b="$bytes" -v c="$cpu" 'BEGIN{printf "%.1f", b/1e6/c}') |"
  rm -f "$log"
}
DIRROWS=""
DIRROWS+=$(measure_dir "tokentrail parse, 1 core: Graph beta pages" "$G/signins/graph" "$GB")$'\n'
DIRROWS+=$(measure_dir "tokentrail parse, 1 core: diagnostic tree" "$D" "$DB")$'\n'
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# Generator throughput (all activity shapes + both sign-in shapes).
GLOG=$(mktemp)
rm -rf "$DATA/gen-$GEN_N"
"$TIME" -v $GEN scale --activity "$GEN_N" --seed 1 --out "$DATA/gen-$GEN_N" 2>"$GLOG"
GENLINE=$(grep 'tokentrail-gen: scale' "$GLOG")
GENRSS=$(time_rss_kb "$GLOG")
GENCPU=$(time_cpu "$GLOG")
GENEV=$(echo "$GENLINE" | sed -E 's/.*scale: ([0-9]+) activity events.*, ([0-9]+) sign-ins.*/\1 \2/' | awk '{print $1+$2}')
GENCPUMIN=$(awk -v e="$GENEV" -v c="$GENCPU" 'BEGIN{printf "%.0f", e/c*60}')
GENLOAD=$(cut -d' ' -f1-3 /proc/loadavg)
GENSIZE=$(du -sh "$DATA/gen-$GEN_N" | cut -f1)
rm -f "$GLOG"

# Ratios on JSON Lines (same bytes for both), wall MB/s and CPU MB/s.
P1=$(echo "$ROWS" | awk -F'|' 'NR==3{print $8}')
BL=$(echo "$ROWS" | awk -F'|' 'NR==6{print $8}')
P1C=$(echo "$ROWS" | awk -F'|' 'NR==3{print $9}')
BLC=$(echo "$ROWS" | awk -F'|' 'NR==6{print $9}')
RATIO=$(awk -v a="$P1" -v b="$BL" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "n/a"}')
RATIOC=$(awk -v a="$P1C" -v b="$BLC" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "n/a"}')

{
  echo "# Benchmark results"
  echo
  echo "- Date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- Machine: $(machine_line)"
  echo "- Commit: $(git rev-parse HEAD)$(git diff --quiet HEAD -- crates || echo ' (+ uncommitted changes)')"
  echo "- Command: \`SIZE=$SIZE GEN_N=$GEN_N bench/parse.sh\`"
  echo
  echo "## Parse: \`tokentrail parse -q\` on an az JSON array and the same events as JSON Lines"
  echo
  echo "Inputs: \`$F\` ($(stat -c %s "$F") bytes) and the same $RECORDS events as compact JSON Lines"
  echo "\`$L\` ($(stat -c %s "$L") bytes), from \`tokentrail-gen scale --az-bytes $SIZE --formats az,az-lines --seed 1\`."
  echo "Load average after the parse runs: $LOAD (the 2 cores are shared with other jobs, so wall"
  echo "times are inflated; CPU MB/s = bytes / (user + sys) is the steadier figure)."
  echo "1 core = \`RAYON_NUM_THREADS=1 taskset -c 0\`; 2 cores = \`RAYON_NUM_THREADS=2 taskset -c 0,1\`;"
  echo "each under \`/usr/bin/time -v\`. Baseline = \`tokentrail-gen baseline FILE\`: serde_json"
  echo "\`Deserializer::from_reader\` over a 1 MiB BufReader, elements via \`SeqAccess\` into a typed"
  echo "struct of the main EventData fields (claims and properties as string maps)."
  echo
  echo "| Run | File | Wall s | User s | Sys s | MB/s (wall) | MB/s (CPU) | Records/s (wall) | Peak RSS MiB |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf "%s" "$ROWS"
  echo
  echo "On the JSON Lines file: tokentrail parse (1 core) / serde_json baseline = **$RATIO×** by wall time, **$RATIOC×** by CPU time."
  echo
  echo "## Sign-in shapes (1 core, CPU MB/s = bytes / (user + sys))"
  echo
  echo "| Run | Input | User s | Sys s | MB/s (CPU) |"
  echo "|---|---|---|---|---|"
  printf "%s" "$DIRROWS"
  echo
  echo "## Generator"
  echo
  echo "\`tokentrail-gen scale --activity $GEN_N --seed 1\` (az + diag + la-csv activity, Graph + diag sign-ins, 2 cores):"
  echo
  echo "    $GENLINE"
  echo
  echo "Output $GENSIZE on disk; peak RSS $((GENRSS / 1024)) MiB; CPU time (user + sys) ${GENCPU} s, i.e."
  echo "**$GENCPUMIN events (activity + sign-ins) per CPU-minute**; load average afterwards $GENLOAD."
  echo
  echo "The hand-written analysis of these figures and the remaining costs is in \`bench/RESULTS.md\`."
} > "$OUT"
cat "$OUT"
