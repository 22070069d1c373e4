#!/usr/bin/env bash
# Benchmark (not a test): training seconds per epoch of DL4J's LSTM layer against the fused LSTM layer
# (model.lstmImplementation dl4j / fused), interleaved epoch by epoch in one JVM, on the shared/BENCHMARKS.md section 3
# workload ("sine") and a larger one ("large": 2 x 128 units, lookback 168), with 1 and 2 OpenMP threads; then the
# PyTorch reference (jobs/bench/torch_reference.py) on the same workloads when python3 can import torch.
# usage: jobs/bench-lstm.sh [EPOCHS] [BATCH] [MAX_BATCHES]   (defaults 5, 32, all)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/target/tsforge.jar"
[ -f "$jar" ] || (cd "$root" && mvn -q -B -DskipTests package) >&2
opens="$(tr '\n' ' ' < "$root/jobs/jvm-opens")"
epochs="${1:-5}"; batch="${2:-32}"; max="${3:-1000000}"
for workload in sine large; do
  for threads in 1 2; do
    echo "# $workload, OMP_NUM_THREADS=$threads, load: $(cut -d' ' -f1-3 /proc/loadavg)"
    # shellcheck disable=SC2086
    OMP_NUM_THREADS=$threads java $opens -Xmx4g -cp "$jar" io.tsforge.bench.LstmBench "$workload" "$epochs" \
      "$batch" "$max" 2>/dev/null | grep -E '^(epoch|RESULT|RATIO)'
    if python3 -c 'import torch' 2>/dev/null; then
      OMP_NUM_THREADS=$threads python3 "$root/jobs/bench/torch_reference.py" "$workload" "$epochs" "$batch" \
        | grep -E '^(epoch|RESULT)'
    fi
  done
done
