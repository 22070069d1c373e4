#!/usr/bin/env bash
# Benchmark (not a test): training seconds per epoch of DL4J's LSTM layer against the fused LSTM layer
# (model.lstmImplementation dl4j / fused), interleaved epoch by epoch in one JVM, against the PyTorch reference
# (jobs/bench/torch_reference.py: same windows, network, init, clipping, minibatch, optimiser, epochs), run right after
# each JVM on the same number of threads, on the shared/BENCHMARKS.md section 3 workload ("sine") and a larger one
# ("large": 2 x 128 units, lookback 168). Prints every epoch, then a table with wall and process-CPU seconds per
# epoch (after the first) and the ratios against PyTorch. On a shared machine read the CPU-seconds ratio: wall time
# depends on the other processes, CPU time much less (the two are equal on a quiet machine with 1 thread).
# usage: jobs/bench-lstm.sh [EPOCHS] [BATCH] [MAX_BATCHES]   (defaults 5, 32, all 125 minibatches per epoch)
#   env WORKLOADS (default "sine large"), THREADS (OMP_NUM_THREADS values, default "1 2"), IMPLS (default dl4j,fused),
#   PYTHON (default: the first of python3, /usr/bin/python3 that can import torch), TSFORGE_CP (class path, default
#   target/tsforge.jar), TSFORGE_JAVA_OPTS (default -Xmx3g).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/target/tsforge.jar"
if [ -z "${TSFORGE_CP:-}" ]; then
  [ -f "$jar" ] || (cd "$root" && mvn -q -B -DskipTests package) >&2
fi
cp="${TSFORGE_CP:-$jar}"
opens="$(tr '\n' ' ' < "$root/jobs/jvm-opens")"
epochs="${1:-5}"; batch="${2:-32}"; max="${3:-1000000}"
python=""
for p in ${PYTHON:-python3 /usr/bin/python3}; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import torch' 2>/dev/null; then python="$p"; break; fi
done
[ -n "$python" ] || echo "# no python that can import torch (Debian: apt-get install python3-torch): PyTorch skipped"
results="$(mktemp)"; trap 'rm -f "$results"' EXIT
for workload in ${WORKLOADS:-sine large}; do
  for threads in ${THREADS:-1 2}; do
    echo "# $workload, OMP_NUM_THREADS=$threads, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    # shellcheck disable=SC2086
    OMP_NUM_THREADS=$threads java $opens ${TSFORGE_JAVA_OPTS:--Xmx3g} -cp "$cp" io.tsforge.bench.LstmBench \
      "$workload" "$epochs" "$batch" "$max" "${IMPLS:-dl4j,fused}" 2>/dev/null | grep -E '^(epoch|RESULT|RATIO)' \
      | tee -a "$results"
    if [ -n "$python" ]; then
      OMP_NUM_THREADS=$threads "$python" "$root/jobs/bench/torch_reference.py" "$workload" "$epochs" "$batch" "$max" \
        | grep -E '^(epoch|RESULT)' | tee -a "$results"
    fi
    echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
echo
echo "| workload | threads | implementation | minibatches/epoch | s/epoch | CPU s/epoch | val MSE | wall / torch | CPU / torch |"
echo "|---|---|---|---|---|---|---|---|---|"
grep '^RESULT' "$results" | awk '
  { delete f; for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    key = f["workload"] " " f["omp"]; n++; wl[n] = f["workload"]; om[n] = f["omp"]; im[n] = f["impl"]
    nb[n] = f["batches_per_epoch"]; s[n] = f["seconds_per_epoch"]; c[n] = f["cpu_seconds_per_epoch"]
    v[n] = f["val_mse"]; k[n] = key
    if (f["impl"] ~ /^torch/) { ts[key] = f["seconds_per_epoch"]; tc[key] = f["cpu_seconds_per_epoch"] } }
  END { for (i = 1; i <= n; i++) {
          rw = (k[i] in ts && ts[k[i]] > 0) ? sprintf("%.2f", s[i] / ts[k[i]]) : "-"
          rc = (k[i] in tc && tc[k[i]] > 0) ? sprintf("%.2f", c[i] / tc[k[i]]) : "-"
          printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", wl[i], om[i], im[i], nb[i], s[i], c[i], v[i], rw, rc } }'
