#!/usr/bin/env bash
# Benchmark (not a test): ETTh1 univariate (OT) under the Informer protocol of ../shared/BENCHMARKS.md, one horizon.
#   jobs/bench-ett.sh [--data PATH] --horizon H [--out DIR] [--lookbacks L1,L2,...] [--set key=value ...]
# PATH is ETTh1.csv or a folder holding it (or ett/ETTh1.csv); default ../shared/data. Runs the project's own jobs on
# conf/ett.properties: prepare (train rows [0, 8640), validation [8640, 11520), test [11520, 14400), z-score on the
# train rows), train (the configuration below, chosen per horizon by validation loss), forecast in backtest mode from
# every test origin (row 11519 .. row 14399 - H, so every target lies in the test rows) and evaluate (normalized
# MSE/MAE next to repeat-last-value and seasonal naive on the same rows). Then prints the table with the published
# numbers. Outputs go to <out> (default out/bench-ett/h<H>): prepared data, the model bundle, the forecasts
# (forecasts/run_date=2018-02-21, the forecast job's format) and evaluation/run_date=2018-02-21/metrics.json, so the
# forecasts can be re-scored with jobs/evaluate.sh. --set overrides any key of every job (e.g. --set model.type=dlinear).
# --lookbacks: prepare and train once per lookback (in <out>/lookback-L), keep the one with the lowest validation
# loss (the bundle's bestValidationLoss; the test rows are not read), then forecast and evaluate with it only.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$root/../shared/data"; horizon=""; out=""; sets=(); lookbacks=""
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="$2"; shift 2 ;;
    --horizon) horizon="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --lookbacks) lookbacks="$2"; shift 2 ;;
    --set) sets+=(--set "$2"); shift 2 ;;
    *) echo "usage: jobs/bench-ett.sh [--data PATH] --horizon H [--out DIR] [--lookbacks L1,L2,...] [--set key=value ...]" >&2
      exit 2 ;;
  esac
done
case "$horizon" in
  ''|*[!0-9]*) echo "error: --horizon: expected a positive integer (24, 96, 192, 336 or 720), found '$horizon'" >&2
    exit 2 ;;
esac
csv="$data"
if [ -d "$csv" ]; then
  if [ -f "$csv/ETTh1.csv" ]; then csv="$csv/ETTh1.csv"; else csv="$csv/ett/ETTh1.csv"; fi
fi
[ -f "$csv" ] || { echo "error: --data: no ETTh1.csv at '$data' (give the file or a folder holding it)" >&2; exit 2; }
csv="$(cd "$(dirname "$csv")" && pwd)/$(basename "$csv")"
out="${out:-$root/out/bench-ett/h$horizon}"
mkdir -p "$out"; out="$(cd "$out" && pwd)"

# The configuration, picked on the validation range only (README, Benchmarks: ETTh1): NLinear, lookback 336, solved
# exactly by penalised least squares (train.solver=ridge), the penalty chosen by validation loss. It had a lower
# validation loss than NLinear trained by Adam (zero start = repeat-last-value, minibatch 32, learning rate halved
# every epoch, early stopping; the settings below, used with --set train.solver=sgd) at every horizon.
case "$horizon" in
  *) lookback=336 ;;
esac
batch=32
# A --set lookback or minibatch counts for the averaging frequency: one worker averaging once per epoch is exactly
# single-machine fit (README, train: Exactness).
for s in ${sets[@]+"${sets[@]}"}; do
  case "$s" in
    window.lookback=*) lookback="${s#*=}" ;;
    train.batchSizePerWorker=*) batch="${s#*=}" ;;
  esac
done
lookbacks="${lookbacks:-$lookback}"
case ",$lookbacks," in
  *,,*|*[!0-9,]*) echo "error: --lookbacks: expected positive integers separated by commas, found '$lookbacks'" >&2
    exit 2 ;;
esac
run_date=2018-02-21
# Row r of ETTh1 is 2016-07-01 00:00 + r hours: origins from row 11519 to row 14399 - H.
from="$(date -u -d "2016-07-01 00:00:00 UTC + 11519 hours" '+%Y-%m-%d %H:%M:%S')"
to="$(date -u -d "2016-07-01 00:00:00 UTC + $((14399 - horizon)) hours" '+%Y-%m-%d %H:%M:%S')"

# run_jobs DIR LOOKBACK JOB...: the jobs, in order, with the bench's configuration, into DIR
run_jobs() {
  local dir="$1" lb="$2"; shift 2
  local per_epoch=$(( (8640 - lb - horizon + batch) / batch ))
  local common=(--config "$root/conf/ett.properties" --set "input.path=$csv" --set "output.dir=$dir"
    --set "window.horizon=$horizon"
    --set model.type=nlinear --set model.weightInit=zero --set train.solver=ridge
    --set "train.batchSizePerWorker=$batch" --set train.workers=1 --set "train.averagingFrequency=$per_epoch"
    --set train.learningRate=0.005 --set train.lrSchedule=exponential --set train.lrDecay=0.5
    --set train.epochs=10 --set train.patience=3 --set train.seed=42
    --set "forecast.from=$from" --set "forecast.to=$to" --set evaluate.season=24 --set evaluate.lags=24
    ${sets[@]+"${sets[@]}"} --set "window.lookback=$lb")
  local log="$dir/bench-ett.log"
  mkdir -p "$dir"
  for job in "$@"; do
    echo "[bench-ett] h=$horizon lookback $lb: $job (log: $log) load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    local start=$(date +%s)
    if ! "$root/jobs/$job.sh" "${common[@]}" --run-date "$run_date" >> "$log" 2>&1; then
      # DL4J M2's Spark scoring has crashed the JVM natively here (SIGSEGV in ScoreFlatMapFunction, seen once in 9
      # runs on a loaded machine); train resumes from its last checkpoint, which gives the uninterrupted run's result.
      if [ "$job" = train ] && echo "[bench-ett] train failed: resuming from its checkpoint" | tee -a "$log" >&2 \
          && "$root/jobs/$job.sh" "${common[@]}" --run-date "$run_date" --resume >> "$log" 2>&1; then
        :
      else
        echo "[bench-ett] $job failed; the end of $log:" >&2; tail -n 20 "$log" >&2; exit 1
      fi
    fi
    echo "[bench-ett] $job: $(( $(date +%s) - start )) s" >&2
  done
}

if [ "$lookbacks" = "${lookbacks%,*}" ]; then
  : > "$out/bench-ett.log"
  run_jobs "$out" "$lookbacks" prepare train forecast evaluate
else
  best=""; best_loss=""
  echo "[bench-ett] choosing the lookback among $lookbacks by validation loss" >&2
  for lb in ${lookbacks//,/ }; do
    dir="$out/lookback-$lb"
    rm -rf "$dir"; mkdir -p "$dir"
    run_jobs "$dir" "$lb" prepare train
    home="$dir/models/forecaster"
    loss="$(grep -o '"bestValidationLoss" *: *[^,}]*' "$home/$(cat "$home/latest")/metrics.json" | sed 's/.*: *//')"
    echo "[bench-ett] lookback $lb: validation loss $loss" >&2
    if [ -z "$best" ] || awk -v a="$loss" -v b="$best_loss" 'BEGIN { exit !(a < b) }'; then
      best="$lb"; best_loss="$loss"
    fi
  done
  echo "[bench-ett] chosen: lookback $best (validation loss $best_loss)" >&2
  out="$out/lookback-$best"
  run_jobs "$out" "$best" forecast evaluate
fi
exec java -cp "$root/target/tsforge.jar" io.tsforge.bench.EttTable "$out" "$run_date" "$horizon"
