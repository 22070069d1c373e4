#!/usr/bin/env bash
# Benchmark (not a test): training samples (windows) per second on a standalone cluster on loopback with one worker
# against two workers, each worker one core, on the same prepared data and config (conf/samples.properties unless
# BENCH_CONFIG is set), submitted with spark-submit. train.workers (DL4J's parallel workers) equals the cores in each
# case; everything else is identical. Needs a quiet machine: the figure is meaningless next to other heavy work.
# usage: jobs/bench-cluster.sh [EPOCHS]   (default 4; epoch 1 includes JIT warm-up and is reported but not averaged)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
epochs="${1:-4}"
config="${BENCH_CONFIG:-$root/conf/samples.properties}"
work="${BENCH_DIR:-$root/out/bench-cluster}"
# shellcheck source=jobs/_cluster.sh
source "$root/jobs/_cluster.sh"
trap cluster_stop EXIT
trap 'exit 130' INT TERM
rm -rf "$work"; mkdir -p "$work"
[ -f "$root/target/tsforge-jobs.jar" ] || (cd "$root" && mvn -q -B -DskipTests package) >&2

input="$(sed -n 's/^[[:space:]]*input\.path[[:space:]]*[=:][[:space:]]*//p' "$config" | tail -n 1)"
case "$input" in /*) ;; *) input="$root/$input" ;; esac
common=(--config "$config" --set "input.path=$input" --set "output.dir=$work/out" --set "train.epochs=$epochs"
        --set train.patience=0 --run-date 2000-01-01)
echo "prepare (embedded local) ..." >&2
"$root/jobs/prepare.sh" "${common[@]}" > "$work/prepare.log" 2>&1 || { tail -5 "$work/prepare.log"; exit 1; }

for n in 1 2; do
  cluster_start "$work/cluster-$n" "$n" 1 2g
  TSFORGE_SUBMIT_OPTS="--driver-memory 1500m --executor-memory 1500m --total-executor-cores $n
    --conf spark.executor.cores=1 --conf spark.scheduler.minRegisteredResourcesRatio=1.0
    --conf spark.scheduler.maxRegisteredResourcesWaitingTime=120s" \
    "$root/jobs/train.sh" "${common[@]}" --master "$CLUSTER_MASTER" --set "train.workers=$n" \
    --set "model.name=scale-$n" > "$work/train-$n.log" 2>&1 || { tail -5 "$work/train-$n.log"; exit 1; }
  cluster_stop
done

python3 - "$work/out/models" "$epochs" <<'PY'
import json, statistics, sys
models, epochs = sys.argv[1], int(sys.argv[2])
rate = {}
print("%-8s %-8s %s" % ("workers", "epoch", "training samples/s (windows/s, fit time only)"))
for n in (1, 2):
    home = "%s/scale-%d" % (models, n)
    m = json.load(open(home + "/" + open(home + "/latest").read().strip() + "/metrics.json"))
    for e in m["epochs"]:
        print("%-8d %-8d %.0f" % (n, e["epoch"], e["samplesPerSecond"]))
    later = [e["samplesPerSecond"] for e in m["epochs"][1:]] or [m["epochs"][0]["samplesPerSecond"]]
    rate[n] = statistics.mean(later)
print("RESULT one_worker=%.0f two_workers=%.0f speedup=%.2f (mean of epochs 2..%d)" % (rate[1], rate[2], rate[2] / rate[1], epochs))
PY
