#!/bin/sh
# Runs every fuzz target for SECONDS each (default 600), one after another, and prints the
# execution count libFuzzer reports for each. Logs go to ../../.cache/fuzz/<target>.log.
# Each run: at most 2 GB of memory and 10 s per input, inputs up to 256 KB (1 MB for the
# digitizer's pictures), seeded with seeds/<target> and the fixtures the target's reader parses.
# Usage (from engine/fuzz): ./run-all.sh [SECONDS] [TARGET...]
set -eu
seconds=${1:-600}
[ $# -gt 0 ] && shift
targets=${*:-$(cargo +nightly fuzz list --fuzz-dir .)}
logs=../../.cache/fuzz
fixtures=../../tests/fixtures
mkdir -p "$logs"
cargo +nightly fuzz build --fuzz-dir .
for t in $targets; do
  case $t in
    dicom) extra="$fixtures/dicom" ;;
    scp) extra="$fixtures/scp" ;;
    edf) extra="$fixtures/edf $fixtures/formats" ;;
    csv) extra="$fixtures/formats" ;;
    muse | hl7_aecg | philips) extra="$fixtures/xml" ;;
    *) extra="" ;;
  esac
  case $t in
    digitize) max_len=1048576 ;;
    *) max_len=262144 ;;
  esac
  mkdir -p "corpus/$t"
  # shellcheck disable=SC2086 # $extra is a list of folders
  cargo +nightly fuzz run --fuzz-dir . "$t" "corpus/$t" "seeds/$t" $extra -- -max_total_time="$seconds" \
    -rss_limit_mb=2048 -timeout=10 -max_len="$max_len" >"$logs/$t.log" 2>&1 \
    && status=ok || status="FAILED (see $logs/$t.log and artifacts/$t/)"
  runs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$logs/$t.log" | tail -1)
  echo "$t: ${runs:-no summary} — $status"
done
