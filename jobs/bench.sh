#!/usr/bin/env bash
# Benchmark (not a test): the overall table of issue 8 in one command, every run in its own process with its peak RSS
# (/usr/bin/time -v when present, else the JVM's own VmHWM):
#   prepare   rows/s on generated data against two floors on the same file: Spark's CSV count() ("bare count": splits
#             lines, converts no field) and a "bare scan" that parses every field prepare needs (series id, timestamp
#             as long, each value as double) and aggregates them (io.tsforge.bench.PrepareBench bare|scan|prepare);
#   training  samples/s and validation MSE (final; the mean over the timed epochs, since the final one swings by
#             +-15 % from epoch to epoch; the lowest of all epochs with its epoch, which train's early stopping keeps) on shared/BENCHMARKS.md section 3 ("sine": 3,975 windows of 24 x 1,
#             LSTM 32, Adam 1e-2, minibatch 32): DL4J MultiLayerNetwork.fit in one JVM, Spark parameter averaging on
#             local[2] (io.tsforge.bench.TrainBench), and the PyTorch reference jobs/bench/torch_reference.py on 1 and
#             2 threads when a python that imports torch exists; BENCH_LARGE=1 adds the 2 x 128 / lookback 168 network.
#             "pair" runs two fits at once on two threads, each on half of the minibatches, never averaged: the CPU per
#             sample any 2-worker training pays here for two busy cores, against which Spark's averaging is also
#             shown (its validation MSE is of a network that saw half the data);
#             Every engine runs BENCH_EPOCHS epochs and is timed over those after the first BENCH_WARMUP: DL4J's
#             epochs take ~0.15 s here, so BENCHMARKS.md's 5 epochs (4 timed) measured mostly JIT warm-up, and the
#             same 5-epoch run varied 2x from run to run;
#   scoring   forecast windows/s and detect rows/s (jobs/bench-score.sh).
# Ratios are against the reference measured in the same run. The table is printed and written to $BENCH_DIR/table.md.
# usage: jobs/bench.sh   (BENCH_TABLE_ONLY=1 prints the table again from the last run's outputs in $BENCH_DIR)
# env:   BENCH_SERIES x BENCH_POINTS (prepare data, default 1000 x 3000 = 3 M rows), BENCH_EPOCHS (30), BENCH_WARMUP
#        (10), BENCH_BATCH (32),
#        BENCH_SCORE ("200 2000": series and points of bench-score), BENCH_LARGE (0), BENCH_LARGE_EPOCHS (2),
#        TORCH_PYTHON (the first of /usr/bin/python3 and python3 that imports torch), BENCH_DIR (out/bench),
#        BENCH_LSTM (model.lstmImplementation of the DL4J runs: fused, the default, or dl4j),
#        TSFORGE_JAVA_OPTS (extra JVM options for every JVM, e.g. memory caps)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/target/tsforge.jar"
[ -f "$jar" ] || (cd "$root" && mvn -q -B -DskipTests package) >&2
# shellcheck source=jobs/_bench.sh
source "$root/jobs/_bench.sh"
series="${BENCH_SERIES:-1000}"; points="${BENCH_POINTS:-3000}"
epochs="${BENCH_EPOCHS:-30}"; warmup="${BENCH_WARMUP:-10}"; batch="${BENCH_BATCH:-32}"
read -r score_series score_points <<<"${BENCH_SCORE:-200 2000}"
work="${BENCH_DIR:-$root/out/bench}"
mkdir -p "$work"
jvm_opts="${TSFORGE_JAVA_OPTS:-}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"

torch_py="${TORCH_PYTHON:-}"
[ -n "$torch_py" ] || torch_py="$(torch_python /usr/bin/python3 python3)"

# run NAME CMD...: stdout to NAME.out, stderr to NAME.err, peak RSS (MB) to NAME.rss
run() {
  local name="$1"; shift
  echo "[bench] $name (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -v -o "$work/$name.time" "$@" > "$work/$name.out" 2> "$work/$name.err" \
      || { echo "[bench] $name failed, see $work/$name.err" >&2; tail -3 "$work/$name.err" >&2; return 1; }
    awk '/Maximum resident set size/ {printf "%d\n", $NF / 1024}' "$work/$name.time" > "$work/$name.rss"
  else
    "$@" > "$work/$name.out" 2> "$work/$name.err" \
      || { echo "[bench] $name failed, see $work/$name.err" >&2; tail -3 "$work/$name.err" >&2; return 1; }
    sed -n 's/.*rss_peak_mb=\([0-9]*\).*/\1/p' "$work/$name.out" | tail -1 > "$work/$name.rss"
  fi
}
field() { sed -n "s/^RESULT.* $2=\([^ ]*\).*/\1/p" "$work/$1.out" | tail -1; }
rss() { cat "$work/$1.rss" 2>/dev/null || echo "-"; }

load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
started=$(date +%s)
workloads=(sine); [ "${BENCH_LARGE:-0}" = 1 ] && workloads+=(large)
if [ "${BENCH_TABLE_ONLY:-0}" != 1 ]; then

# --- prepare against the two floors ---
csv="$work/prepare-in-${series}x${points}.csv"
[ -f "$csv" ] || java -cp "$jar" io.tsforge.bench.PrepareBench generate "$csv" "$series" "$points"
for mode in bare scan prepare; do
  # shellcheck disable=SC2086
  run "prepare-$mode" java $opens -Xmx3g $jvm_opts -cp "$jar" io.tsforge.bench.PrepareBench "$mode" "$csv" \
    "$work/prepare-out"
done

# --- training ---
for w in "${workloads[@]}"; do
  e="$epochs"; wu="$warmup"; [ "$w" = large ] && { e="${BENCH_LARGE_EPOCHS:-2}"; wu=1; }
  for mode in local spark pair; do
    # shellcheck disable=SC2086
    run "train-$w-$mode" java $opens -Xmx3g -Dbench.warmupEpochs="$wu" $jvm_opts -cp "$jar" \
      io.tsforge.bench.TrainBench "$mode" "$w" "$e" "$batch" 2 "${BENCH_LSTM:-fused}"
  done
  if [ -n "$torch_py" ]; then
    for t in 1 2; do
      OMP_NUM_THREADS=$t TORCH_WARMUP="$wu" run "train-$w-torch$t" "$torch_py" \
        "$root/jobs/bench/torch_reference.py" "$w" "$e" "$batch"
    done
  fi
done

# --- scoring ---
# shellcheck disable=SC2086
run score env BENCH_DIR="$work/score" "$root/jobs/bench-score.sh" "$score_series" "$score_points"

load_end="$(cut -d' ' -f1-3 /proc/loadavg)"
elapsed=$(( $(date +%s) - started ))
echo "$load_start|$load_end|$elapsed|$(date -u '+%F %H:%M')" > "$work/run.info"
fi
IFS='|' read -r load_start load_end elapsed run_date < "$work/run.info"

# --- the table ---
{
  echo "jobs/bench.sh, $run_date UTC, $(getconf _NPROCESSORS_ONLN) cores, load average (1/5/15 min) $load_start at start and"
  echo "$load_end at the end, $elapsed s in all. Peak memory is each run's maximum RSS. Prepare's rows also give the"
  echo "CPU seconds of the measured run (all threads), steadier than wall time on a shared machine."
  echo
  echo "| run | work | throughput | seconds | validation MSE: final (mean of timed epochs; lowest, at epoch) | peak RSS | ratio |"
  echo "|---|---|---|---|---|---|---|"
  bare_rps=$(field prepare-bare rows_per_s); scan_rps=$(field prepare-scan rows_per_s)
  prep_rps=$(field prepare-prepare rows_per_s); rows=$(field prepare-prepare rows)
  bare_cpu=$(field prepare-bare cpu_seconds); scan_cpu=$(field prepare-scan cpu_seconds)
  prep_cpu=$(field prepare-prepare cpu_seconds)
  echo "| prepare: bare count (CSV \`count()\`, converts no field) | $rows rows | $bare_rps rows/s |" \
       "$(field prepare-bare seconds) (CPU $bare_cpu) | | $(rss prepare-bare) MB | |"
  echo "| prepare: bare scan (parses id, timestamp and every value; aggregates) | $rows rows | $scan_rps rows/s |" \
       "$(field prepare-scan seconds) (CPU $scan_cpu) | | $(rss prepare-scan) MB | |"
  echo "| prepare (read, quarantine, dedupe, resample, statistics, 3 outputs) | $rows rows | $prep_rps rows/s |" \
       "$(field prepare-prepare seconds) (CPU $prep_cpu) | | $(rss prepare-prepare) MB |" \
       "$(awk -v p="$prep_rps" -v s="$scan_rps" -v b="$bare_rps" \
          -v pc="$prep_cpu" -v sc="$scan_cpu" -v bc="$bare_cpu" \
          'BEGIN {printf "%.3f of bare scan, %.3f of bare count (per CPU second: %.3f, %.3f)",
                  p / s, p / b, sc / pc, bc / pc}') |"
  for w in "${workloads[@]}"; do
    t1=""; t2=""
    if [ -n "$torch_py" ]; then
      t1=$(awk -v s="$(field "train-$w-torch1" seconds_per_epoch)" 'BEGIN {printf "%.0f", 3975 / s}')
      t2=$(awk -v s="$(field "train-$w-torch2" seconds_per_epoch)" 'BEGIN {printf "%.0f", 3975 / s}')
    fi
    for mode in local spark pair torch1 torch2; do
      n="train-$w-$mode"
      [ -f "$work/$n.out" ] || continue
      case $mode in
        local) label="DL4J \`fit\`, one JVM, 1 thread"; ref="$t1"; reflabel="1-thread" ;;
        spark) label="Spark parameter averaging, \`local[2]\`"; ref="$t2"; reflabel="2-thread" ;;
        pair) label="two DL4J \`fit\`s at once, never averaged, each on half (the CPU floor of 2 workers)"; ref="" ;;
        torch1) label="PyTorch reference, 1 thread"; ref="" ;;
        torch2) label="PyTorch reference, 2 threads"; ref="" ;;
      esac
      # DL4J's RESULT lines give windows/s as integers (seconds per epoch only to 2 decimals); PyTorch's seconds
      wps=$(field "$n" windows_per_s)
      if [ -n "$wps" ]; then
        sps="$wps"; spe=$(awk -v w="$wps" 'BEGIN {printf "%.3f", 3975 / w}')
      else
        spe=$(field "$n" seconds_per_epoch); sps=$(awk -v s="$spe" 'BEGIN {printf "%.0f", 3975 / s}')
      fi
      ratio=""
      [ -n "$ref" ] && ratio=$(awk -v a="$sps" -v r="$ref" -v l="$reflabel" \
        'BEGIN {printf "%.2fx PyTorch %s samples/s", a / r, l}')
      if [ "$mode" = spark ] && [ -f "$work/train-$w-local.out" ]; then
        ratio="${ratio:+$ratio; }$(awk -v a="$sps" -v b="$(field "train-$w-local" windows_per_s)" \
          -v ac="$(field "$n" windows_per_cpu_s)" -v bc="$(field "train-$w-local" windows_per_cpu_s)" \
          'BEGIN {printf "%.2fx fit time per sample, %.2fx fit CPU per sample", b / a, bc / ac}')"
        if [ -f "$work/train-$w-pair.out" ]; then
          ratio="$ratio$(awk -v ac="$(field "$n" windows_per_cpu_s)" -v pc="$(field "train-$w-pair" windows_per_cpu_s)" \
            'BEGIN {printf ", %.2fx the pair'"'"'s CPU per sample", pc / ac}')"
        fi
      fi
      if [ "$mode" = pair ] && [ -f "$work/train-$w-local.out" ]; then
        ratio=$(awk -v ac="$(field "$n" windows_per_cpu_s)" -v bc="$(field "train-$w-local" windows_per_cpu_s)" \
          'BEGIN {printf "%.2fx fit CPU per sample", bc / ac}')
      fi
      e="$epochs"; wu="$warmup"; [ "$w" = large ] && { e="${BENCH_LARGE_EPOCHS:-2}"; wu=1; }
      echo "| train $w: $label | 3975 windows x $e epochs (first $wu untimed) | $sps samples/s | $spe s/epoch |" \
           "$(field "$n" val_mse) ($(field "$n" val_mse_mean); $(field "$n" val_mse_best) at epoch $(field "$n" best_epoch)) |" \
           "$(rss "$n") MB | $ratio |"
    done
  done
  sed -n 's/^forecast  *windows  *\([0-9]*\)  *\([0-9]*\)  *\([0-9]*\).*/| forecast (backtest, every test origin) | \1 windows | \2 windows\/s | | | \3 MB | |/p' "$work/score.out"
  sed -n 's/^detect  *rows  *\([0-9]*\)  *\([0-9]*\)  *\([0-9]*\).*/| detect (every step after training) | \1 rows | \2 rows\/s | | | \3 MB | |/p' "$work/score.out"
} | tee "$work/table.md"
