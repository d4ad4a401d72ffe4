#!/bin/sh
# Runs every fuzz target for SECONDS each (default 600), one after another, and prints the
# execution count libFuzzer reports for each. Logs go to ../../.cache/fuzz/<target>.log.
# Usage (from engine/fuzz): ./run-all.sh [SECONDS] [TARGET...]
set -eu
seconds=${1:-600}
[ $# -gt 0 ] && shift
targets=${*:-$(cargo +nightly fuzz list)}
logs=../../.cache/fuzz
mkdir -p "$logs"
cargo +nightly fuzz build
for t in $targets; do
  mkdir -p "corpus/$t"
  cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -- -max_total_time="$seconds" -rss_limit_mb=4096 >"$logs/$t.log" 2>&1 \
    && status=ok || status="FAILED (see $logs/$t.log and artifacts/$t/)"
  runs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$logs/$t.log" | tail -1)
  echo "$t: ${runs:-no summary} — $status"
done
