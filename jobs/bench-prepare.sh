#!/usr/bin/env bash
# Benchmark (not a test): prepare's throughput against a bare Spark scan-and-count of the same CSV, at several sizes,
# each run in its own JVM (embedded local[*]) so that peak memory is per run. Modes: bare (CSV count, parses no
# field), scan (parses every field and aggregates), prepare. BENCH_MODES="scan" runs a subset.
# usage: jobs/bench-prepare.sh [SERIES] [POINTS...]   (default: 1000 series x 1000, 3000, 10000 points)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/target/tsforge.jar"
[ -f "$jar" ] || (cd "$root" && mvn -q -B -DskipTests package) >&2
opens="$(tr '\n' ' ' < "$root/jobs/jvm-opens")"
series="${1:-1000}"; shift || true
points=("$@"); [ ${#points[@]} -gt 0 ] || points=(1000 3000 10000)
work="${BENCH_DIR:-$root/out/bench-prepare}"
mkdir -p "$work"
printf "%-8s %-8s %-10s %-9s %-12s %-10s %-12s %-12s\n" series points rows mode seconds rows/s heap_peak_MB rss_peak_MB
for p in "${points[@]}"; do
  csv="$work/in-${series}x${p}.csv"
  [ -f "$csv" ] || java -cp "$jar" io.tsforge.bench.PrepareBench generate "$csv" "$series" "$p"
  for mode in ${BENCH_MODES:-bare scan prepare}; do
    # shellcheck disable=SC2086
    line=$(java $opens -Xmx6g -cp "$jar" io.tsforge.bench.PrepareBench "$mode" "$csv" "$work/out-$p" 2>/dev/null | grep '^RESULT')
    rows=$(sed 's/.*rows=\([0-9]*\).*/\1/' <<<"$line"); secs=$(sed 's/.*seconds=\([0-9.]*\).*/\1/' <<<"$line")
    rps=$(sed 's/.*rows_per_s=\([0-9]*\).*/\1/' <<<"$line"); heap=$(sed 's/.*heap_peak_mb=\([0-9-]*\).*/\1/' <<<"$line")
    rss=$(sed 's/.*rss_peak_mb=\([0-9-]*\).*/\1/' <<<"$line")
    printf "%-8s %-8s %-10s %-9s %-12s %-10s %-12s %-12s\n" "$series" "$p" "$rows" "$mode" "$secs" "$rps" "$heap" "$rss"
  done
done
