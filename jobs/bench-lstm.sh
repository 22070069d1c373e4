#!/usr/bin/env bash
# Benchmark (not a test): training seconds per epoch of DL4J's LSTM layer against the fused LSTM layer
# (model.lstmImplementation dl4j / fused), interleaved epoch by epoch in one JVM, against the PyTorch reference
# (jobs/bench/torch_reference.py: same windows, network, init, clipping, minibatch, optimiser, epochs), run right after
# each JVM on the same number of threads, on the shared/BENCHMARKS.md section 3 workload ("sine") and a larger one
# ("large": 2 x 128 units, lookback 168). Prints every epoch, then a table with wall and process-CPU seconds per
# epoch (after the first) and the ratios against PyTorch. On a shared machine read the CPU-seconds ratio: wall time
# depends on the other processes, CPU time much less (the two are equal on a quiet machine with 1 thread).
# Debian's python3-torch is built with BLAS_INFO=generic and, without another libblas3 alternative installed, runs on
# the netlib reference BLAS; so PyTorch runs twice: as installed ("torch-1.13...") and with the OpenBLAS that ND4J
# itself uses (target/lib's JavaCPP OpenBLAS through LD_PRELOAD: "torch-1.13...+openblas"), the fair reference.
# usage: jobs/bench-lstm.sh [EPOCHS] [BATCH] [MAX_BATCHES]   (defaults 5, 32, all 125 minibatches per epoch)
#   env WORKLOADS (default "sine large"), THREADS (OMP_NUM_THREADS values, default "1 2"), IMPLS (default dl4j,fused;
#   also fused-op: the fused layer on libnd4j's lstmLayer ops, its previous path),
#   PYTHON (default: the first of python3, /usr/bin/python3 that can import torch), TSFORGE_CP (class path, default
#   target/tsforge.jar), TSFORGE_JAVA_OPTS (default -Xmx3g).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=jobs/_bench.sh
source "$root/jobs/_bench.sh"
epochs="${1:-5}"; batch="${2:-32}"; max="${3:-1000000}"
# shellcheck disable=SC2086
python="$(torch_python ${PYTHON:-python3 /usr/bin/python3})"
[ -n "$python" ] || echo "# no python that can import torch (Debian: apt-get install python3-torch): PyTorch skipped"
results="$(mktemp)"; tmp="$(mktemp -d)"; trap 'rm -rf "$results" "$tmp"' EXIT
openblas=""
ob_jar="$(ls "$root"/target/lib/openblas-*-linux-x86_64.jar 2>/dev/null | head -n 1 || true)"
if [ -n "$python" ] && [ -n "$ob_jar" ] && (cd "$tmp" && unzip -oq "$ob_jar" '*.so*'); then
  openblas="$(dirname "$(find "$tmp" -name libopenblas.so.0 | head -n 1)")"
fi
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
      if [ -n "$openblas" ]; then
        OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads TORCH_IMPL_SUFFIX=+openblas \
          LD_LIBRARY_PATH="$openblas" LD_PRELOAD="$openblas/libopenblas.so.0" \
          "$python" "$root/jobs/bench/torch_reference.py" "$workload" "$epochs" "$batch" "$max" \
          | grep -E '^(epoch|RESULT)' | tee -a "$results"
      fi
    fi
    echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
echo
echo "| workload | threads | implementation | minibatches/epoch | s/epoch | CPU s/epoch | val MSE | CPU / torch (Debian BLAS) | CPU / torch+openblas |"
echo "|---|---|---|---|---|---|---|---|---|"
grep '^RESULT' "$results" | awk '
  { delete f; for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    key = f["workload"] " " f["omp"]; n++; wl[n] = f["workload"]; om[n] = f["omp"]; im[n] = f["impl"]
    nb[n] = f["batches_per_epoch"]; s[n] = f["seconds_per_epoch"]; c[n] = f["cpu_seconds_per_epoch"]
    v[n] = f["val_mse"]; k[n] = key
    if (f["impl"] ~ /^torch.*openblas/) to[key] = f["cpu_seconds_per_epoch"]
    else if (f["impl"] ~ /^torch/) tc[key] = f["cpu_seconds_per_epoch"] }
  END { for (i = 1; i <= n; i++) {
          rc = (k[i] in tc && tc[k[i]] > 0) ? sprintf("%.2f", c[i] / tc[k[i]]) : "-"
          ro = (k[i] in to && to[k[i]] > 0) ? sprintf("%.2f", c[i] / to[k[i]]) : "-"
          printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", wl[i], om[i], im[i], nb[i], s[i], c[i], v[i], rc, ro } }'
