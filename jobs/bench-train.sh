#!/usr/bin/env bash
# Benchmark (not a test): training throughput, single-JVM DL4J fit against Spark parameter averaging on local[2],
# on identical minibatches; the reference workload of shared/BENCHMARKS.md and, when present, ETTh1.
# usage: jobs/bench-train.sh [EPOCHS] [BATCH]   (defaults 5 and 32; OMP_NUM_THREADS defaults to 1)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/target/tsforge.jar"
[ -f "$jar" ] || (cd "$root" && mvn -q -B -DskipTests package) >&2
opens="$(tr '\n' ' ' < "$root/jobs/jvm-opens")"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
epochs="${1:-5}"; batch="${2:-32}"
ett="${ETT:-$root/../shared/data/ett/ETTh1.csv}"
workloads=(sine); [ -f "$ett" ] && workloads+=("$ett")
for data in "${workloads[@]}"; do
  for mode in local spark; do
    # shellcheck disable=SC2086
    java $opens -Xmx6g -cp "$jar" io.tsforge.bench.TrainBench "$mode" "$data" "$epochs" "$batch" 2 2>/dev/null \
      | grep -E '^(epoch|RESULT)'
  done
done
