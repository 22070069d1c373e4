#!/usr/bin/env bash
# Benchmark (not a test): forecast windows/s (backtest over every origin of the test range) and detect rows/s, with
# peak memory, on generated data (SERIES x POINTS readings at 5-minute steps; default 200 x 2000). Each job runs in its
# own JVM through its launcher; the figures come from the jobs' own _summary.json files.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/target/tsforge.jar"
[ -f "$jar" ] || (cd "$root" && mvn -q -B -DskipTests package) >&2
series="${1:-200}"; points="${2:-2000}"
work="${BENCH_DIR:-$root/out/bench-score}"
rm -rf "$work"; mkdir -p "$work"
java -cp "$jar" io.tsforge.bench.PrepareBench generate "$work/in.csv" "$series" "$points"
# test range = the last 15 % of each series (fractional split 0.7 / 0.15)
t0=1704067200
from=$(( t0 + (points - points * 15 / 100) * 300 )); to=$(( t0 + (points - 1) * 300 ))
cat > "$work/bench.properties" <<CONF
input.path = $work/in.csv
input.idColumn = sensor_id
input.timeColumn = timestamp
input.valueColumns = value, temp
series.frequency = 5min
window.lookback = 96
window.horizon = 24
window.stride = 48
output.dir = $work/out
model.units = 32
train.epochs = 1
train.evalTrainLoss = false
forecast.from = $(date -u -d @$from '+%F %T')
forecast.to = $(date -u -d @$to '+%F %T')
CONF
for job in prepare train forecast detect; do
  "$root/jobs/$job.sh" --config "$work/bench.properties" --run-date 2000-01-01 > "$work/$job.log" 2>&1 \
    || { echo "bench-score: $job failed, see $work/$job.log"; tail -3 "$work/$job.log"; exit 1; }
done
python3 - "$work/out" <<'PY'
import json, sys
out = sys.argv[1]
f = json.load(open(out + "/forecasts/run_date=2000-01-01/_summary.json"))
d = json.load(open(out + "/anomalies/run_date=2000-01-01/_summary.json"))
fc, dc = f["counts"], d["counts"]
print("%-9s %-12s %-10s %-14s %-12s" % ("job", "units", "count", "per second", "rss_peak_MB"))
print("%-9s %-12s %-10d %-14.0f %-12d" % ("forecast", "windows", fc["origins"], fc["windows_per_second"], f["peakRssMb"]))
print("%-9s %-12s %-10d %-14.0f %-12d" % ("detect", "rows", dc["rows_in"], dc["rows_per_second"], d["peakRssMb"]))
print("forecast stage %.1f s, detect stage %.1f s (each includes reading prepare's series and building the network once per partition)"
      % (f["stageSeconds"]["forecast"], d["stageSeconds"]["detect"]))
PY
