#!/usr/bin/env bash
# Benchmark (not a test): the two ratios of issue 8 that single bench.sh runs put on either side of their targets,
# measured as medians over alternated sets, each run in its own JVM:
#   prepare rows/s against the bare scan of the same file (target >= 0.5; io.tsforge.bench.PrepareBench scan|prepare),
#   Spark parameter averaging on local[2] against single-JVM fit per sample, wall time and process CPU (target
#   <= 1.2; io.tsforge.bench.TrainBench local|spark on the sine workload).
# One set runs scan, prepare, fit and Spark in turn (the order alternates from set to set), so that a drift of the
# machine's speed touches both sides of each ratio. Prints one line per set, then the median and range of each ratio.
# usage: jobs/bench-margins.sh [SETS]   (default 5)
# env:   BENCH_SERIES x BENCH_POINTS (prepare data, default 1000 x 3000 = 3 M rows), BENCH_EPOCHS (30), BENCH_WARMUP
#        (10), BENCH_DIR (out/bench-margins), TSFORGE_JAVA_OPTS (extra JVM options)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/target/tsforge.jar"
[ -f "$jar" ] || (cd "$root" && mvn -q -B -DskipTests package) >&2
# shellcheck source=jobs/_bench.sh
source "$root/jobs/_bench.sh"
sets="${1:-5}"
series="${BENCH_SERIES:-1000}"; points="${BENCH_POINTS:-3000}"
epochs="${BENCH_EPOCHS:-30}"; warmup="${BENCH_WARMUP:-10}"
work="${BENCH_DIR:-$root/out/bench-margins}"
jvm_opts="${TSFORGE_JAVA_OPTS:-}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
mkdir -p "$work"
csv="$work/prepare-in-${series}x${points}.csv"
[ -f "$csv" ] || java -cp "$jar" io.tsforge.bench.PrepareBench generate "$csv" "$series" "$points"

# run NAME: the RESULT line of one run, in its own JVM
run() {
  # shellcheck disable=SC2086
  case "$1" in
    scan|prepare) java $opens -Xmx3g $jvm_opts -cp "$jar" io.tsforge.bench.PrepareBench "$1" "$csv" "$work/out" ;;
    local|spark) java $opens -Xmx3g -Dbench.warmupEpochs="$warmup" $jvm_opts -cp "$jar" io.tsforge.bench.TrainBench \
      "$1" sine "$epochs" 32 2 fused ;;
  esac 2>"$work/$1.err" | grep '^RESULT' || { echo "bench-margins: $1 failed, see $work/$1.err" >&2; exit 1; }
}
val() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

echo "# jobs/bench-margins.sh, $(date -u '+%F %H:%M UTC'), $sets sets, load $(cut -d' ' -f1-3 /proc/loadavg);" \
     "prepare on $series x $points rows, training on sine, $epochs epochs ($warmup untimed)"
ratios="$work/ratios.txt"; : > "$ratios"
for s in $(seq 1 "$sets"); do
  order="scan prepare local spark"; [ $((s % 2)) = 0 ] && order="spark local prepare scan"
  declare -A r=()
  for name in $order; do r[$name]="$(run "$name")"; done
  line="$(awk -v sr="$(val "${r[scan]}" rows_per_s)" -v pr="$(val "${r[prepare]}" rows_per_s)" \
    -v sc="$(val "${r[scan]}" cpu_seconds)" -v pc="$(val "${r[prepare]}" cpu_seconds)" \
    -v lw="$(val "${r[local]}" windows_per_s)" -v sw="$(val "${r[spark]}" windows_per_s)" \
    -v lc="$(val "${r[local]}" windows_per_cpu_s)" -v spc="$(val "${r[spark]}" windows_per_cpu_s)" \
    'BEGIN {printf "%.3f %.3f %.3f %.3f", pr / sr, sc / pc, lw / sw, lc / spc}')"
  echo "$line" >> "$ratios"
  read -r p pc t c <<<"$line"
  echo "set $s ($order; load $(cut -d' ' -f1 /proc/loadavg)): prepare $p of the bare scan (CPU $pc);" \
       "Spark ${t}x fit's time per sample, ${c}x its CPU"
  unset r
done
echo
echo "| ratio | target | median | range |"
echo "|---|---|---|---|"
for k in 1 2 3 4; do
  sort -g -k"$k","$k" "$ratios" | awk -v k="$k" '{v[NR] = $k}
    END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
          split("prepare / bare scan, rows per second|prepare / bare scan, rows per CPU second|Spark / fit, time per sample|Spark / fit, CPU per sample", n, "|")
          split(">= 0.5|>= 0.5|<= 1.2|<= 1.2", t, "|")
          printf "| %s | %s | %.3f | %.3f - %.3f |\n", n[k], t[k], m, v[1], v[NR] }'
done
