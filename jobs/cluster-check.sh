#!/usr/bin/env bash
# The jobs on a real Spark standalone cluster on loopback, checked against a local run, then three faults.
#  1. local: prepare, train and detect on data-samples with embedded local[2] (the reference);
#  2. cluster: a Master and two Workers (1 core, 2 GB each) as separate JVMs from a SPARK_HOME assembled from Maven
#     artifacts (jobs/spark-home.sh); prepare, train and detect submitted through jobs/*.sh --master, i.e. spark-submit
#     (Spark's SparkSubmit class) with the jobs jar; the outputs must match the local run: the same windows and rows,
#     per-epoch losses within LOSS_RTOL (relative) and anomaly scores and expected values within SCORE_ATOL;
#  3. faults (unless --no-faults):
#     F1 kill -9 one executor JVM in the middle of training: train must finish, its bundle load and score;
#     F2 kill -9 the driver in the middle of training: `latest` still names the previous complete bundle, and
#        train --resume continues after the last checkpointed epoch and writes a complete bundle whose per-epoch
#        losses equal the undisturbed cluster run's (within LOSS_RTOL; network parameters compared too); a watcher
#        reads `latest` every 0.1 s throughout and checks that every bundle it names is complete;
#     F3 kill -9 detect while it writes its partition: the previous partition of that run date is unchanged, and a
#        re-run with the same bundle completes it: the same rows and values as the undisturbed run's partition.
# Every check prints PASS or FAIL into <work>/results.txt; the script exits non-zero if any failed. Every process it
# started (cluster daemons with their executors, background drivers) is ended on exit.
# --quick (for CI): a quarter of the windows (window.stride=4, window.evalStride=4), 3 epochs (F2 kills the driver as
# soon as epoch 1's line is logged, which follows its checkpoint: the kill lands in epoch 2 or 3, which take under a
# second each here since all epochs are one Spark job), no gradient probe; the
# cluster run trains and detects on a copy of the local run's prepared data instead of running prepare again, and F1's
# bundle is checked complete (a readable DL4J zip and every JSON part) without a separate detect run.
# usage: jobs/cluster-check.sh [--work DIR] [--epochs N] [--no-faults] [--quick]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$root/out/cluster-check"; epochs=3; faults=true; quick=false
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --no-faults) faults=false; shift ;;
    --quick) quick=true; epochs=3; shift ;;
    *) echo "usage: jobs/cluster-check.sh [--work DIR] [--epochs N] [--no-faults] [--quick]" >&2; exit 2 ;;
  esac
done
LOSS_RTOL="${LOSS_RTOL:-1e-4}"
SCORE_ATOL="${SCORE_ATOL:-1e-4}"
run_date=2024-03-15
# shellcheck source=jobs/_cluster.sh
source "$root/jobs/_cluster.sh"

BG_PIDS=()
cleanup() {
  local pid
  for pid in "${BG_PIDS[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  cluster_stop
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$work"; mkdir -p "$work"
results="$work/results.txt"; : > "$results"
failed=0
record() {  # record PASS|FAIL "what"
  echo "$1  $2" | tee -a "$results"
  [ "$1" = PASS ] || failed=1
}
t_start=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t_start )) s"; }

[ -f "$root/target/tsforge-jobs.jar" ] && [ -f "$root/target/tsforge.jar" ] \
  || (cd "$root" && nice -n 19 mvn -q -B -DskipTests package) >&2

# The jobs jar must leave Spark, Scala and slf4j to the cluster and carry ND4J's backend with its merged services.
python3 - "$root/target/tsforge-jobs.jar" <<'PY' && record PASS "jobs jar: no Spark/Scala/slf4j/Jackson classes, ND4J CPU backend and natives inside" || record FAIL "jobs jar content (see above)"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1]); names = z.namelist()
bad = [n for n in names if n.startswith(("scala/", "org/slf4j/", "com/fasterxml/jackson/", "org/apache/hadoop/"))
       or (n.startswith("org/apache/spark/") and "TaskContextHelper" not in n and not n.endswith("/"))]
services = z.read("META-INF/services/org.nd4j.linalg.factory.Nd4jBackend").decode()
natives = [n for n in names if n.startswith("org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64/") and n.endswith(".so")]
ok = not bad and "org.nd4j.linalg.cpu.nativecpu.CpuBackend" in services and natives and "io/tsforge/jobs/Main.class" in names
print("jobs jar:", len(names), "entries; Spark-side classes:", bad[:5], "; native libraries:", natives)
sys.exit(0 if ok else 1)
PY

common=(--config "$root/conf/samples.properties" --run-date "$run_date"
        --set "input.path=$root/data-samples/sensors.csv" --set "train.epochs=$epochs" --set train.workers=2)
# F2's kill follows epoch 1's log line (polled every 0.2 s) by this much: inside epoch 2 or 3 (an epoch takes 0.4 s in
# --quick, more without)
kill_delay=0
if $quick; then
  common+=(--set window.stride=4 --set window.evalStride=4 --set train.gradientProbe=0)
fi
# detect writes CSV (read below without extra tools); prepare keeps Parquet, which forecast and detect read its series in
csv=(--set output.format=csv)
job() {  # job NAME LOG ARGS... : runs jobs/NAME.sh to its end (own process group, ended on exit), output to LOG
  local name="$1" log="$2" pid rc=0; shift 2
  setsid nice -n 19 "$root/jobs/$name.sh" "$@" > "$log" 2>&1 &
  pid=$!; BG_PIDS+=("$pid")
  wait "$pid" || rc=$?
  [ "$rc" = 0 ] || { echo "$name failed (exit $rc), see $log:" >&2; tail -5 "$log" >&2; return 1; }
}

echo "== 1. local run (embedded local[2]) [$(elapsed)]"
local_out="$work/local"
job prepare "$work/local-prepare.log" "${common[@]}" --master 'local[2]' --set "output.dir=$local_out"
job train "$work/local-train.log" "${common[@]}" --master 'local[2]' --set "output.dir=$local_out"
job detect "$work/local-detect.log" "${common[@]}" "${csv[@]}" --master 'local[2]' --set "output.dir=$local_out"

echo "== 2. cluster run (spark-submit) [$(elapsed)]"
cluster_start "$work/cluster-daemons" 2 1 2g
opens="$(tr '\n' ' ' < "$root/jobs/jvm-opens")"
export TSFORGE_SUBMIT_OPTS="--driver-memory 1500m --executor-memory 1500m --total-executor-cores 2
  --conf spark.executor.cores=1 --conf spark.scheduler.minRegisteredResourcesRatio=1.0
  --conf spark.scheduler.maxRegisteredResourcesWaitingTime=120s --conf spark.task.maxFailures=4"
cl_out="$work/cluster"
cl=("${common[@]}" --master "$CLUSTER_MASTER" --set "output.dir=$cl_out")
if $quick; then
  mkdir -p "$cl_out" && cp -r "$local_out/prepared" "$cl_out/prepared"
else
  job prepare "$work/cluster-prepare.log" "${cl[@]}"
fi
job train "$work/cluster-train.log" "${cl[@]}"
job detect "$work/cluster-detect.log" "${cl[@]}" "${csv[@]}"
if grep -q "^\[launcher\] spark-submit" "$work/cluster-train.log" && grep -q "Registered app tsforge train" "$work/cluster-daemons/master.log"; then
  record PASS "train was submitted with spark-submit and ran as an application of the standalone Master, executors launched: $(grep -c 'Asked to launch executor' "$work"/cluster-daemons/worker-*.log | sed "s:.*/::" | paste -sd' ')"
else
  record FAIL "train did not run through spark-submit on the standalone Master"
fi

compare() {  # compare A_OUT B_OUT LABEL: losses per epoch and detect rows of two runs
  python3 - "$1" "$2" "$3" "$run_date" "$LOSS_RTOL" "$SCORE_ATOL" <<'PY'
import csv, glob, json, os, sys
a, b, label, run_date, rtol, atol = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), float(sys.argv[6])
def bundle(out):
    home = out + "/models/samples-lstm"
    v = open(home + "/latest").read().strip()
    return json.load(open(home + "/" + v + "/metrics.json")), json.load(open(home + "/" + v + "/provenance.json"))
def rows(out):
    d = {}
    for f in glob.glob(out + "/anomalies/run_date=" + run_date + "/part-*.csv"):
        for r in csv.DictReader(open(f)):
            d[(r["series_id"], r["timestamp"])] = r
    return d
(ma, pa), (mb, pb) = bundle(a), bundle(b)
ok = True
same_windows = (pa["trainWindows"], pa["validationWindows"]) == (pb["trainWindows"], pb["validationWindows"])
print("windows train/validation: %s vs %s" % ((pa["trainWindows"], pa["validationWindows"]), (pb["trainWindows"], pb["validationWindows"])))
ok &= same_windows
ea, eb = ma["epochs"], mb["epochs"]
worst = 0.0
for x, y in zip(ea, eb):
    for k in ("trainLoss", "validationLoss"):
        worst = max(worst, abs(x[k] - y[k]) / max(abs(x[k]), 1e-12))
print("epochs %d vs %d; largest relative loss difference %.3g (tolerance %.0e)" % (len(ea), len(eb), worst, rtol))
for x, y in zip(ea, eb):
    print("  epoch %d  train %.6f / %.6f  validation %.6f / %.6f  samples/s %.0f / %.0f" % (x["epoch"], x["trainLoss"], y["trainLoss"], x["validationLoss"], y["validationLoss"], x["samplesPerSecond"], y["samplesPerSecond"]))
ok &= len(ea) == len(eb) and worst <= rtol
ra, rb = rows(a), rows(b)
print("detect rows %d vs %d, same keys: %s" % (len(ra), len(rb), ra.keys() == rb.keys()))
ok &= len(ra) > 0 and ra.keys() == rb.keys()
ds = de = 0.0; flags = 0
for k in ra.keys() & rb.keys():
    x, y = ra[k], rb[k]
    if x["anomaly_score"] and y["anomaly_score"]:
        ds = max(ds, abs(float(x["anomaly_score"]) - float(y["anomaly_score"])))
        de = max(de, abs(float(x["expected"]) - float(y["expected"])))
    elif x["anomaly_score"] != y["anomaly_score"]:
        ds = float("inf")
    flags += x["is_anomaly"] != y["is_anomaly"]
print("largest anomaly_score difference %.3g, expected-value difference %.3g (tolerance %.0e), is_anomaly disagreements %d" % (ds, de, atol, flags))
ok &= ds <= atol and de <= atol
json.dump({"label": label, "lossRelDiff": worst, "scoreAbsDiff": ds, "expectedAbsDiff": de, "flagDisagreements": flags}, open(b + "/../compare-" + label + ".json", "w"))
sys.exit(0 if ok else 1)
PY
}
if compare "$local_out" "$cl_out" cluster; then
  record PASS "cluster = local: same windows and detect rows, losses within $LOSS_RTOL relative, scores within $SCORE_ATOL"
else
  record FAIL "cluster and local outputs differ beyond the tolerances (above)"
fi

latest() { cat "$cl_out/models/samples-lstm/latest" 2>/dev/null || echo none; }
cl_bundle="$(latest)"  # the undisturbed cluster run's bundle: F2's resumed run must match it, F3 re-scores with it
bundle_complete() {  # bundle_complete VERSION: every part present, network.zip a readable zip with parameters
  python3 - "$cl_out/models/samples-lstm/$1" <<'PY'
import json, os, sys, zipfile
d = sys.argv[1]
parts = ["network.zip", "normalization.json", "schema.json", "calibration.json", "config.json", "provenance.json", "metrics.json"]
missing = [p for p in parts if not os.path.isfile(os.path.join(d, p))]
if missing: print(d, "missing", missing); sys.exit(1)
z = zipfile.ZipFile(os.path.join(d, "network.zip"))
assert z.testzip() is None and "coefficients.bin" in z.namelist(), "network.zip is not a complete DL4J model"
for p in parts[1:]: json.load(open(os.path.join(d, p)))
PY
}
train_bg() {  # train_bg LOG ARGS...: starts train in the background in its own process group; sets BG_PID
  setsid nice -n 19 "$root/jobs/train.sh" "${cl[@]}" "${@:2}" > "$1" 2>&1 &
  BG_PID=$!; BG_PIDS+=("$BG_PID")
}
wait_for() {  # wait_for SECONDS COMMAND...: polls every 0.2 s
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do [ "$(date +%s)" -lt "$deadline" ] || return 1; sleep 0.2; done
}
log_has() { grep -q "$2" "$1" 2>/dev/null; }

if $faults; then
  echo "== F1. kill one executor in the middle of training [$(elapsed)]"
  before="$(latest)"
  train_bg "$work/f1-train.log"
  if wait_for 300 log_has "$work/f1-train.log" "epoch 1/$epochs"; then
    victim="$(pgrep -P "$(cluster_worker_pid 2)" -f CoarseGrainedExecutorBackend | head -1 || true)"
    [ -n "$victim" ] && kill -KILL "$victim" && echo "killed executor JVM $victim of worker 2 after epoch 1" | tee -a "$results"
  fi
  rc=0; wait "$BG_PID" || rc=$?
  after="$(latest)"
  # the lost executor and its replacement, as the Worker and the Master logged them
  { grep -h "exitStatus 137" "$work"/cluster-daemons/worker-*.log; grep -h "Removing executor" "$work/cluster-daemons/master.log"; } \
    | tee -a "$results" || true
  if [ -n "${victim:-}" ] && [ "$rc" = 0 ] && [ "$after" != "$before" ] && bundle_complete "$after" \
     && grep -q "Removing executor" "$work/cluster-daemons/master.log"; then
    record PASS "F1 executor $victim killed mid-training: train exited 0, latest $before -> $after, bundle complete"
  else
    record FAIL "F1 executor kill: victim=${victim:-none} exit=$rc latest $before -> $after (see $work/f1-train.log)"
  fi
  f1_bundle="$after"

  echo "== F2. kill the driver in the middle of training, then --resume [$(elapsed)]"
  before="$(latest)"
  ckdir="$cl_out/models/samples-lstm/checkpoints"
  # reads `latest` every 0.1 s until killed; the first time it names a version, checks that bundle is complete
  cat > "$work/latest-watch.py" <<'PY'
import json, os, sys, time, zipfile
home, out = sys.argv[1], sys.argv[2]
parts = ["network.zip", "normalization.json", "schema.json", "calibration.json", "config.json", "provenance.json", "metrics.json"]
seen, reads = {}, 0
while True:
    try:
        v = open(os.path.join(home, "latest")).read().strip()
    except OSError:
        v = None  # absent for an instant while it is replaced
    reads += 1
    if v and v not in seen:
        d = os.path.join(home, v)
        try:
            ok = all(os.path.isfile(os.path.join(d, p)) for p in parts) and zipfile.ZipFile(os.path.join(d, "network.zip")).testzip() is None
            for p in parts[1:]: json.load(open(os.path.join(d, p)))
        except Exception:
            ok = False
        seen[v] = ok
    with open(out + ".tmp", "w") as f:
        json.dump({"reads": reads, "versions": seen}, f)
    os.replace(out + ".tmp", out)
    time.sleep(0.1)
PY
  setsid python3 "$work/latest-watch.py" "$cl_out/models/samples-lstm" "$work/f2-latest-watch.txt" &
  watch_pid=$!; BG_PIDS+=("$watch_pid")
  train_bg "$work/f2-train.log"
  state_at_kill=none
  if wait_for 300 log_has "$work/f2-train.log" "epoch 1/$epochs"; then
    sleep "$kill_delay"  # inside epoch 2 or 3 (epoch 1's checkpoint is committed before "epoch 1/N" is logged)
    kill -KILL "$BG_PID" 2>/dev/null || true
    state_at_kill="$(python3 - "$ckdir" <<'PY' 2>/dev/null || echo none
import glob, json, re, sys
states = sorted(glob.glob(sys.argv[1] + "/state-*.json"), key=lambda f: int(re.search(r"state-(\d+)", f).group(1)))
print(json.load(open(states[-1]))["nextEpoch"])
PY
)"
    echo "killed driver $BG_PID $kill_delay s after epoch 1 ended; checkpoint state: nextEpoch=$state_at_kill" | tee -a "$results"
  fi
  wait "$BG_PID" 2>/dev/null || true
  mid="$(latest)"
  if [ "$mid" = "$before" ] && bundle_complete "$mid" && [ "$state_at_kill" != none ] && [ "$state_at_kill" -lt "$epochs" ]; then
    record PASS "F2 driver killed mid-training: latest still $mid (complete), checkpoint after epoch $state_at_kill of $epochs"
  else
    record FAIL "F2 driver kill: latest $before -> $mid, checkpoint nextEpoch=$state_at_kill (see $work/f2-train.log)"
  fi
  rc=0; job train "$work/f2-resume.log" "${cl[@]}" --resume || rc=$?
  after="$(latest)"
  kill -KILL -- "-$watch_pid" 2>/dev/null || true
  hist="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["epochs"]))' "$cl_out/models/samples-lstm/$after/metrics.json" 2>/dev/null || echo 0)"
  first_run="$(sed -n 's/.*\(epoch [0-9]*\/[0-9]*\).*/\1/p' "$work/f2-resume.log" | head -1)"
  echo "resume log: $(grep -o "resuming after epoch [0-9]*" "$work/f2-resume.log" | head -1); first epoch it ran: ${first_run:-none}" | tee -a "$results"
  if [ "$rc" = 0 ] && grep -q "resuming after epoch $state_at_kill " "$work/f2-resume.log" && [ "$after" != "$mid" ] \
     && bundle_complete "$after" && [ "$hist" = "$epochs" ] && ! grep -q "epoch 1/$epochs" "$work/f2-resume.log"; then
    record PASS "F2 --resume continued after epoch $state_at_kill (first epoch run: ${first_run:-?}; epochs 1..$state_at_kill not re-run), latest $mid -> $after, $hist epochs in its history"
  else
    record FAIL "F2 resume: exit=$rc latest $mid -> $after history=$hist (see $work/f2-resume.log)"
  fi
  # the resumed run against the undisturbed cluster run (same data, config and seed): losses and parameters
  if python3 - "$cl_out/models/samples-lstm" "$cl_bundle" "$after" "$LOSS_RTOL" <<'PY' | tee -a "$results"
import json, sys, zipfile
home, ref, res, rtol = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
ea = json.load(open("%s/%s/metrics.json" % (home, ref)))["epochs"]
eb = json.load(open("%s/%s/metrics.json" % (home, res)))["epochs"]
worst = 0.0
for x, y in zip(ea, eb):
    print("  epoch %d  train %.8f / %.8f  validation %.8f / %.8f" % (x["epoch"], x["trainLoss"], y["trainLoss"], x["validationLoss"], y["validationLoss"]))
    for k in ("trainLoss", "validationLoss"):
        worst = max(worst, abs(x[k] - y[k]) / max(abs(x[k]), 1e-12))
coef = lambda v: zipfile.ZipFile("%s/%s/network.zip" % (home, v)).read("coefficients.bin")
same = coef(ref) == coef(res)
print("F2 resumed %s vs undisturbed %s: %d vs %d epochs, largest relative loss difference %.3g (tolerance %.0e), network parameters %s"
      % (res, ref, len(eb), len(ea), worst, rtol, "bit-identical" if same else "differ"))
sys.exit(0 if len(ea) == len(eb) and worst <= rtol else 1)
PY
  then
    record PASS "F2 resumed bundle $after = undisturbed $cl_bundle: per-epoch losses within $LOSS_RTOL relative (figures above)"
  else
    record FAIL "F2 resumed bundle $after differs from the undisturbed $cl_bundle beyond $LOSS_RTOL"
  fi
  if python3 - "$work/f2-latest-watch.txt" <<'PY' | tee -a "$results"
import json, sys
w = json.load(open(sys.argv[1]))
print("latest watcher: %d reads during F2 (killed run and resume); versions named: %s" % (w["reads"], w["versions"]))
sys.exit(0 if w["reads"] > 0 and all(w["versions"].values()) else 1)
PY
  then
    record PASS "F2 latest never named a partial bundle (watched throughout the killed run and the resume)"
  else
    record FAIL "F2 latest named an incomplete bundle (see $work/f2-latest-watch.txt)"
  fi

  echo "== F3. kill detect while it writes the partition of $run_date [$(elapsed)]"
  part="$cl_out/anomalies/run_date=$run_date"
  snapshot() { (cd "$part" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
  snapshot > "$work/f3-before.sha"
  cp -r "$part" "$work/f3-reference"  # the undisturbed cluster run's partition, scored with $cl_bundle
  pinned=(--set "model.version=$cl_bundle")
  setsid nice -n 19 "$root/jobs/detect.sh" "${cl[@]}" "${csv[@]}" "${pinned[@]}" > "$work/f3-detect.log" 2>&1 &
  BG_PID=$!; BG_PIDS+=("$BG_PID")
  in_write() { compgen -G "$cl_out/anomalies/.tmp.run_date=$run_date.*" > /dev/null; }
  in_write_or_done() { in_write || ! kill -0 "$BG_PID" 2>/dev/null; }
  killed_mid_write=false
  if wait_for 300 in_write_or_done && in_write; then
    kill -KILL -- "-$BG_PID" 2>/dev/null && killed_mid_write=true
    echo "killed detect $BG_PID while its hidden output folder held $(find "$cl_out"/anomalies/.tmp.run_date=$run_date.* -type f | wc -l) files" | tee -a "$results"
  fi
  wait "$BG_PID" 2>/dev/null || true
  leftover="$(compgen -G "$cl_out/anomalies/.tmp.run_date=$run_date.*" | head -1 || true)"
  snapshot > "$work/f3-after.sha"
  if $killed_mid_write && [ -n "$leftover" ] && cmp -s "$work/f3-before.sha" "$work/f3-after.sha"; then
    record PASS "F3 detect killed mid-write (its unfinished $(basename "$leftover") left behind): the $run_date partition is byte-identical ($(wc -l < "$work/f3-before.sha") files)"
  else
    record FAIL "F3 detect kill: killed mid-write=$killed_mid_write leftover=${leftover:-none}, partition unchanged=$(cmp -s "$work/f3-before.sha" "$work/f3-after.sha" && echo yes || echo no)"
  fi
  rc=0; job detect "$work/f3-rerun.log" "${cl[@]}" "${csv[@]}" "${pinned[@]}" || rc=$?
  same_rows() {  # the re-run's rows against the undisturbed run's: same count, same values in every column
    python3 - "$work/f3-reference" "$part" <<'PY' | tee -a "$results"
import csv, glob, sys
def rows(d):
    out = []
    for f in sorted(glob.glob(d + "/part-*.csv")):
        out += [tuple(sorted(r.items())) for r in csv.DictReader(open(f))]
    return sorted(out)
a, b = rows(sys.argv[1]), rows(sys.argv[2])
print("F3 re-run: %d rows, undisturbed run: %d rows, identical content: %s" % (len(b), len(a), a == b))
sys.exit(0 if a and a == b else 1)
PY
  }
  if [ "$rc" = 0 ] && grep -q '"status" : "succeeded"' "$part/_summary.json" && grep -q '"rows_balanced" : true' "$part/_summary.json" \
     && same_rows && ! compgen -G "$cl_out/anomalies/.tmp.run_date=$run_date.*" > /dev/null; then
    record PASS "F3 re-run completed the $run_date partition with bundle $cl_bundle: same rows and values as the undisturbed run (rows balance, leftovers cleared)"
  else
    record FAIL "F3 re-run: exit=$rc (see $work/f3-rerun.log)"
  fi

  if $quick; then
    bundle_complete "$f1_bundle" && record PASS "F1 bundle $f1_bundle complete (--quick: not scored separately)" \
      || record FAIL "F1 bundle $f1_bundle incomplete"
  else
  echo "== F1 bundle scores [$(elapsed)]"
  rc=0; job detect "$work/f1-detect.log" "${cl[@]}" "${csv[@]}" --run-date 2024-03-16 --set "model.version=$f1_bundle" || rc=$?
  [ "$rc" = 0 ] && record PASS "F1 bundle $f1_bundle loads and scores (detect --run-date 2024-03-16)" \
    || record FAIL "F1 bundle $f1_bundle does not score (see $work/f1-detect.log)"
  fi
fi

echo "== done in $(elapsed)" | tee -a "$results"
cat "$results"
exit "$failed"
