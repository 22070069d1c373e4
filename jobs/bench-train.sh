#!/usr/bin/env bash
# Benchmark (not a test): training throughput, single-JVM DL4J fit against Spark parameter averaging on local[2],
# on identical minibatches; the reference workload of shared/BENCHMARKS.md and, when present, ETTh1.
# Prints every epoch, then a table: wall and process-CPU seconds per epoch (after the first), windows per second and per
# CPU second, validation MSE, peak RSS, and Spark's cost per window against single-JVM fit (CPU seconds per window:
# on a shared machine the fair overhead measure; wall time also depends on the other processes).
# usage: jobs/bench-train.sh [EPOCHS] [BATCH]   (defaults 5 and 32; OMP_NUM_THREADS defaults to 1)
#   env IMPLS (model.lstmImplementation values, default "dl4j fused"), ETT (ETTh1.csv; "none" to skip),
#   TSFORGE_CP (class path, default target/tsforge.jar), TSFORGE_JAVA_OPTS (default -Xmx4g; -Dbench.averagingFrequency=N,
#   -Dbench.warmupEpochs=N (epochs left out, default 1), -Dbench.set=key=value,... for other train.* keys),
#   MODES ("local spark" by default: two processes; "both": one JVM alternating fit and Spark epoch by epoch, the
#   interleaved comparison, which also prints each engine's CPU by thread).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=jobs/_bench.sh
source "$root/jobs/_bench.sh"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
epochs="${1:-5}"; batch="${2:-32}"
ett="${ETT:-$root/../shared/data/ett/ETTh1.csv}"
workloads=(sine); [ -f "$ett" ] && workloads+=("$ett")
results="$(mktemp)"; trap 'rm -f "$results"' EXIT
for data in "${workloads[@]}"; do
  for impl in ${IMPLS:-dl4j fused}; do
    for mode in ${MODES:-local spark}; do
      echo "# $(basename "$data") $impl $mode, load: $(cut -d' ' -f1-3 /proc/loadavg)"
      # shellcheck disable=SC2086
      java $opens ${TSFORGE_JAVA_OPTS:--Xmx4g} -cp "$cp" io.tsforge.bench.TrainBench "$mode" "$data" "$epochs" \
        "$batch" 2 "$impl" 2>/dev/null | grep -E '^(epoch|RESULT|THREADS)' | tee -a "$results"
    done
  done
done
echo
echo "| workload | lstm | engine | s/epoch | CPU s/epoch | windows/s | windows/CPU s | val MSE | RSS peak MB | Spark/local per window (wall, CPU) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
grep '^RESULT' "$results" | awk '
  { delete f; for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    key = f["workload"] " " f["impl"]; rel = "-"
    if (f["mode"] == "local") { lw[key] = f["windows_per_s"]; lc[key] = f["windows_per_cpu_s"] }
    else if (key in lw) rel = sprintf("%.2f, %.2f", lw[key] / f["windows_per_s"], lc[key] / f["windows_per_cpu_s"])
    engine = f["mode"] == "local" ? "fit, one JVM" : "Spark local[" f["workers"] "]"
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f["workload"], f["impl"], engine,
      f["seconds_per_epoch"], f["cpu_seconds_per_epoch"], f["windows_per_s"], f["windows_per_cpu_s"], f["val_mse"],
      f["rss_peak_mb"], rel }'
