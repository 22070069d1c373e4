#!/usr/bin/env bash
# Benchmark (not a test): validation MSE over several seeds, DL4J fit and Spark parameter averaging on local[2]
# (io.tsforge.bench.TrainBench) against the PyTorch reference (jobs/bench/torch_reference.py, when a python that
# imports torch exists), on the same windows, network, minibatch and epochs. Seed N sets the initial weights and the
# minibatch order on every side (-Dbench.set=train.seed=N -Dbench.shuffleSeed=N; TORCH_SEED=N). One seed's validation
# MSE swings by as much as the engines differ, so the comparison is of the means over the seeds.
# Prints one line per run, then a table per engine: mean (sd) [min - max] over the seeds of the final epoch's
# validation MSE, of the mean over the timed epochs, and of the lowest over all epochs (which train's early stopping
# keeps).
# usage: jobs/bench-seeds.sh [WORKLOAD] [EPOCHS] [WARMUP] [SEEDS]   (defaults: sine 30 10 "1 2 3 4 5 6"; WORKLOAD sine
#        or large, the 2 x 128 / lookback 168 network; e.g. jobs/bench-seeds.sh large 3 1 "1 2 3 4 5 6 7 8")
# env:   MODES (TrainBench engines, default "local spark"), TORCH=0 skips PyTorch, TORCH_PYTHON, BENCH_BATCH (32),
#        BENCH_LSTM (fused), TSFORGE_CP (class path, default target/tsforge.jar), TSFORGE_JAVA_OPTS (default -Xmx3g),
#        SEEDS_OUT (file that keeps the RESULT lines, default a temporary file)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=jobs/_bench.sh
source "$root/jobs/_bench.sh"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
workload="${1:-sine}"; epochs="${2:-30}"; warmup="${3:-10}"; seeds="${4:-1 2 3 4 5 6}"
batch="${BENCH_BATCH:-32}"
case "$workload" in sine|large) ;; *) echo "WORKLOAD must be sine or large, found '$workload'" >&2; exit 2 ;; esac
if [ "$epochs" -le "$warmup" ]; then
  echo "EPOCHS ($epochs) must exceed WARMUP ($warmup)" >&2; exit 2
fi
torch_py="${TORCH_PYTHON:-}"
if [ "${TORCH:-1}" != 0 ] && [ -z "$torch_py" ]; then
  torch_py="$(torch_python /usr/bin/python3 python3)"
fi
[ "${TORCH:-1}" = 0 ] && torch_py=""
[ -z "$torch_py" ] && [ "${TORCH:-1}" != 0 ] && echo "# no python imports torch: PyTorch skipped" >&2
out="${SEEDS_OUT:-$(mktemp)}"
[ -n "${SEEDS_OUT:-}" ] || trap 'rm -f "$out"' EXIT
: > "$out"
echo "# $workload, $epochs epochs ($warmup untimed), minibatch $batch, seeds: $seeds; $(date -u '+%F %H:%M UTC')"
for s in $seeds; do
  for mode in ${MODES:-local spark}; do
    # shellcheck disable=SC2086
    line="$(java $opens ${TSFORGE_JAVA_OPTS:--Xmx3g} -Dbench.warmupEpochs="$warmup" -Dbench.set=train.seed="$s" \
      -Dbench.shuffleSeed="$s" -cp "$cp" io.tsforge.bench.TrainBench "$mode" "$workload" "$epochs" "$batch" 2 \
      "${BENCH_LSTM:-fused}" 2>/dev/null | grep '^RESULT' || true)"
    [ -n "$line" ] || { echo "TrainBench $mode failed for seed $s" >&2; exit 1; }
    echo "$line seed=$s engine=$mode" | tee -a "$out"
  done
  if [ -n "$torch_py" ]; then
    line="$(TORCH_SEED="$s" TORCH_WARMUP="$warmup" "$torch_py" "$root/jobs/bench/torch_reference.py" "$workload" \
      "$epochs" "$batch" 2>/dev/null | grep '^RESULT' || true)"
    [ -n "$line" ] || { echo "torch_reference.py failed for seed $s" >&2; exit 1; }
    echo "$line seed=$s engine=torch" | tee -a "$out"
  fi
done
echo
echo "| engine | seeds | final epoch | mean of the timed epochs | lowest, any epoch | s/epoch |"
echo "|---|---|---|---|---|---|"
awk '
  function stat(k, fmt,   i, m, v, lo, hi) {
    m = 0; for (i = 1; i <= n[e]; i++) m += x[e, k, i]; m /= n[e]
    v = 0; lo = x[e, k, 1]; hi = lo
    for (i = 1; i <= n[e]; i++) {
      v += (x[e, k, i] - m) ^ 2; lo = x[e, k, i] < lo ? x[e, k, i] : lo; hi = x[e, k, i] > hi ? x[e, k, i] : hi
    }
    return sprintf(fmt " (" fmt ") [" fmt " - " fmt "]", m, n[e] > 1 ? sqrt(v / (n[e] - 1)) : 0, lo, hi)
  }
  { delete f; for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    e = f["engine"]; if (!(e in n)) order[++engines] = e; k = ++n[e]
    x[e, "val_mse", k] = f["val_mse"]; x[e, "val_mse_mean", k] = f["val_mse_mean"]
    x[e, "val_mse_best", k] = f["val_mse_best"]; x[e, "seconds_per_epoch", k] = f["seconds_per_epoch"] }
  END { for (j = 1; j <= engines; j++) { e = order[j]
      name = e == "local" ? "DL4J fit, one JVM" : e == "spark" ? "Spark local[2]" : e == "pair" ? "pair" : "PyTorch"
      printf "| %s | %d | %s | %s | %s | %s |\n", name, n[e], stat("val_mse", "%.5f"),
        stat("val_mse_mean", "%.5f"), stat("val_mse_best", "%.5f"), stat("seconds_per_epoch", "%.2f") } }' "$out"
