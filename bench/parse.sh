#!/usr/bin/env bash
# Whole-process parse benchmark: builds release binaries, generates a >= SIZE (default 1G)
# `az monitor activity-log list -o json` array under bench/data/, and measures
# `tokentrail parse -q` on 1 core and 2 cores with GNU time, plus the plain serde_json
# typed-parse baseline (`tokentrail-gen baseline`) on the same bytes. Also measures the
# generator's own throughput. Writes bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE="${SIZE:-1G}"
GEN_N="${GEN_N:-100000}"
DATA=bench/data
OUT=bench/RESULTS.md
TIME=/usr/bin/time
if [ ! -x "$TIME" ]; then
  echo "GNU time missing: sudo apt-get update && sudo apt-get install -y time" >&2
  exit 1
fi
cargo build --release -p tokentrail -p tokentrail-gen
GEN=./target/release/tokentrail-gen
TT=./target/release/tokentrail
mkdir -p "$DATA"
F="$DATA/az-$SIZE/activity/az-activity-log.json"
if [ ! -f "$F" ]; then
  rm -rf "$DATA/az-$SIZE"
  $GEN scale --az-bytes "$SIZE" --seed 1 --out "$DATA/az-$SIZE"
fi
BYTES=$(stat -c %s "$F")
RECORDS=$(grep -c '"eventDataId"' "$F")
sync

measure() { # label, cores(taskset list), threads, command...
  local label=$1 cpus=$2 threads=$3; shift 3
  local log; log=$(mktemp)
  RAYON_NUM_THREADS=$threads taskset -c "$cpus" "$TIME" -v "$@" >/dev/null 2>"$log"
  local wall rss user sys
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/{print $2}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$log")
  user=$(awk -F': ' '/User time/{print $2}' "$log")
  sys=$(awk -F': ' '/System time/{print $2}' "$log")
  local secs; secs=$(echo "$wall" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  local mbs; mbs=$(awk -v b="$BYTES" -v s="$secs" 'BEGIN{printf "%.1f", b/1e6/s}')
  local rps; rps=$(awk -v r="$RECORDS" -v s="$secs" 'BEGIN{printf "%.0f", r/s}')
  echo "| $label | $secs | $user | $sys | $mbs | $rps | $((rss / 1024)) |"
  echo "$label: wall ${secs}s user ${user}s sys ${sys}s ${mbs} MB/s ${rps} rec/s peak RSS ${rss} KB" >&2
  eval "MBS_$(echo "$label" | tr -c 'a-zA-Z0-9\n' '_')=$mbs"
  rm -f "$log"
}

ROWS=""
ROWS+=$(measure "tokentrail parse, 1 core" 0 1 $TT parse -q "$F")$'\n'
ROWS+=$(measure "tokentrail parse, 2 cores" 0,1 2 $TT parse -q "$F")$'\n'
ROWS+=$(measure "serde_json baseline, 1 core" 0 1 $GEN baseline "$F")$'\n'

# Generator throughput (all activity shapes + both sign-in shapes).
GLOG=$(mktemp)
rm -rf "$DATA/gen-$GEN_N"
"$TIME" -v $GEN scale --activity "$GEN_N" --seed 1 --out "$DATA/gen-$GEN_N" 2>"$GLOG"
GENLINE=$(grep 'tokentrail-gen: scale' "$GLOG")
GENRSS=$(awk -F': ' '/Maximum resident set size/{print $2}' "$GLOG")
GENSIZE=$(du -sh "$DATA/gen-$GEN_N" | cut -f1)
rm -f "$GLOG"

P1=$(echo "$ROWS" | awk -F'|' 'NR==1{print $6}')
P2=$(echo "$ROWS" | awk -F'|' 'NR==2{print $6}')
BL=$(echo "$ROWS" | awk -F'|' 'NR==3{print $6}')
RATIO=$(awk -v a="$P1" -v b="$BL" 'BEGIN{printf "%.2f", a/b}')

{
  echo "# Benchmark results"
  echo
  echo "- Date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- Machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GB RAM"
  echo "- Commit: $(git rev-parse HEAD)$(git diff --quiet HEAD -- crates || echo ' (+ uncommitted changes)')"
  echo "- Command: \`SIZE=$SIZE GEN_N=$GEN_N bench/parse.sh\`"
  echo
  echo "## Parse: \`tokentrail parse -q\` on an az JSON array"
  echo
  echo "Input: \`$F\`, $BYTES bytes, $RECORDS events (\`tokentrail-gen scale --az-bytes $SIZE --seed 1\`)."
  echo "1 core = \`RAYON_NUM_THREADS=1 taskset -c 0\`; 2 cores = \`RAYON_NUM_THREADS=2 taskset -c 0,1\`;"
  echo "each under \`/usr/bin/time -v\`. Baseline = \`tokentrail-gen baseline FILE\`: serde_json"
  echo "\`Deserializer::from_reader\` over a 1 MiB BufReader, elements via \`SeqAccess\` into a typed"
  echo "struct of the main EventData fields (claims and properties as string maps)."
  echo
  echo "| Run | Wall s | User s | Sys s | MB/s | Records/s | Peak RSS MiB |"
  echo "|---|---|---|---|---|---|---|"
  printf "%s" "$ROWS"
  echo
  echo "tokentrail parse (1 core) / serde_json baseline = **$RATIO×**."
  echo
  echo "## Generator"
  echo
  echo "\`tokentrail-gen scale --activity $GEN_N --seed 1\` (az + diag + la-csv activity, Graph + diag sign-ins, 2 cores):"
  echo
  echo "    $GENLINE"
  echo
  echo "Output $GENSIZE on disk; peak RSS $((GENRSS / 1024)) MiB."
} > "$OUT"
cat "$OUT"
