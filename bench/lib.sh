# Shared helpers for the whole-process benchmark scripts (sourced, not run).
#
#   run_timed LOG CMD...   runs CMD under GNU time -v; CMD's stderr and time's report go to LOG,
#                          its stdout to LOG.out; returns CMD's exit status.
#   time_wall LOG          wall seconds (h:mm:ss or m:ss converted), time_user / time_sys LOG,
#   time_cpu LOG           user + sys, time_rss_kb LOG peak RSS in KB.
#   machine_line           "nproc N, CPU model, N GB RAM".
#   commit_line            HEAD commit, with -dirty when the work tree has changes.

TIME=/usr/bin/time
require_gnu_time() {
  if [ ! -x "$TIME" ]; then
    echo "GNU time missing: sudo apt-get update && sudo apt-get install -y time" >&2
    exit 1
  fi
}

run_timed() { # log, command...
  local log=$1; shift
  "$TIME" -v "$@" >"$log.out" 2>"$log"
}

time_field() { # log, field label as GNU time prints it
  awk -F': ' -v k="$2" 'index($0, k) { v = $NF } END { print v }' "$1"
}

time_wall() {
  time_field "$1" 'Elapsed (wall clock) time' |
    awk -F: '{ if (NF == 3) printf "%.2f\n", $1 * 3600 + $2 * 60 + $3; else printf "%.2f\n", $1 * 60 + $2 }'
}
time_user() { time_field "$1" 'User time (seconds)'; }
time_sys() { time_field "$1" 'System time (seconds)'; }
time_cpu() { awk -v u="$(time_user "$1")" -v s="$(time_sys "$1")" 'BEGIN { printf "%.2f\n", u + s }'; }
time_rss_kb() { time_field "$1" 'Maximum resident set size (kbytes)'; }

machine_line() {
  echo "nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GB RAM"
}

commit_line() {
  local c; c=$(git rev-parse HEAD)
  if git diff --quiet HEAD 2>/dev/null; then echo "$c"; else echo "$c-dirty"; fi
}
