#!/usr/bin/env bash
# Benchmark (not a test): training samples (windows) per second on a standalone cluster on loopback with one worker
# against two workers, each worker one core, on the same prepared data and config (conf/samples.properties unless
# BENCH_CONFIG is set), submitted with spark-submit. train.workers (DL4J's parallel workers) equals the cores in each
# case; everything else is identical. Needs a quiet machine: the figure is meaningless next to other heavy work.
# The runs alternate 1, 2, 2, 1, 1, 2, ... over BENCH_ROUNDS rounds (default 2), so that a change of the machine's load
# hits both sides alike; /proc/loadavg is printed before and after every run. The last line is the figure:
#   RESULT one_worker=... two_workers=... speedup=...  (samples/s: training windows per second of fit time)
# usage: jobs/bench-cluster.sh [EPOCHS]   (default 4; epoch 1 includes JIT warm-up and is reported but not averaged)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
epochs="${1:-4}"
rounds="${BENCH_ROUNDS:-2}"
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

order=()
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then order+=("$r:1" "$r:2"); else order+=("$r:2" "$r:1"); fi
done
for run in "${order[@]}"; do
  r="${run%%:*}"; n="${run##*:}"
  cluster_start "$work/cluster-$r-$n" "$n" 1 2g
  echo "round $r, $n worker(s): loadavg before $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$work/load.txt" >&2
  TSFORGE_SUBMIT_OPTS="--driver-memory 1500m --executor-memory 1500m --total-executor-cores $n
    --conf spark.executor.cores=1 --conf spark.scheduler.minRegisteredResourcesRatio=1.0
    --conf spark.scheduler.maxRegisteredResourcesWaitingTime=120s" \
    "$root/jobs/train.sh" "${common[@]}" --master "$CLUSTER_MASTER" --set "train.workers=$n" \
    --set "model.name=scale-$r-$n" > "$work/train-$r-$n.log" 2>&1 || { tail -5 "$work/train-$r-$n.log"; exit 1; }
  echo "round $r, $n worker(s): loadavg after  $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$work/load.txt" >&2
  cluster_stop
done

cat "$work/load.txt"
python3 - "$work/out/models" "$epochs" "$rounds" <<'PY'
import json, statistics, sys
models, epochs, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rate, ratios = {1: [], 2: []}, []
print("%-6s %-8s %-6s %s" % ("round", "workers", "epoch", "training samples/s (windows/s, fit time only)"))
for r in range(1, rounds + 1):
    per = {}
    for n in (1, 2):
        home = "%s/scale-%d-%d" % (models, r, n)
        m = json.load(open(home + "/" + open(home + "/latest").read().strip() + "/metrics.json"))
        for e in m["epochs"]:
            print("%-6d %-8d %-6d %.0f" % (r, n, e["epoch"], e["samplesPerSecond"]))
        later = [e["samplesPerSecond"] for e in m["epochs"][1:]] or [m["epochs"][0]["samplesPerSecond"]]
        per[n] = statistics.mean(later)
        rate[n].append(per[n])
    ratios.append(per[2] / per[1])
    print("round %d: one worker %.0f, two workers %.0f samples/s, speedup %.2f" % (r, per[1], per[2], ratios[-1]))
print("RESULT one_worker=%.0f two_workers=%.0f speedup=%.2f (speedup per round: %s; means of epochs 2..%d over %d rounds)"
      % (statistics.mean(rate[1]), statistics.mean(rate[2]), statistics.mean(ratios),
         " ".join("%.2f" % x for x in ratios), epochs, rounds))
PY
