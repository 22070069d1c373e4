#!/usr/bin/env bash
# Shared launcher of every job: jobs/<job>.sh --config FILE [--set key=value ...] [--master URL]
# Embedded local Spark by default (target/tsforge.jar, its dependencies in target/lib/ through the manifest class
# path). With --master URL (or spark.master in the config) it goes through spark-submit when that is on the PATH,
# submitting the jobs jar (target/tsforge-jobs.jar: DL4J/ND4J inside, Spark from the cluster); else the embedded
# client connects to that master itself and ships the jobs jar to the executors.
# TSFORGE_SUBMIT_OPTS: extra spark-submit options, split on spaces (e.g. "--driver-memory 2g --executor-memory 3g").
set -euo pipefail
job="$1"; shift
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/target/tsforge.jar"
jobs_jar="$root/target/tsforge-jobs.jar"
if [ ! -f "$jar" ] || [ ! -d "$root/target/lib" ] || [ ! -f "$jobs_jar" ]; then
  echo "[launcher] $jar or $jobs_jar is missing: building them (mvn package, a few minutes the first time) ..." >&2
  (cd "$root" && mvn -q -B -DskipTests package) >&2
fi
opens="$(tr '\n' ' ' < "$root/jobs/jvm-opens")"

# Find the master: --master wins over spark.master in the config file.
master=""; config=""; prev=""
for a in "$@"; do
  case "$prev" in
    --master) master="$a" ;;
    --config) config="$a" ;;
  esac
  prev="$a"
done
if [ -z "$master" ] && [ -n "$config" ] && [ -f "$config" ]; then
  master="$(sed -n 's/^[[:space:]]*spark\.master[[:space:]]*[=:][[:space:]]*//p' "$config" | tail -n 1)"
fi

# DL4J's small-minibatch recurrent ops run faster on one OpenMP thread per JVM (see docs); override freely.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"

if [ -n "$master" ] && command -v spark-submit >/dev/null 2>&1; then
  # The module flags reach the driver through --driver-java-options and the executors through extraJavaOptions;
  # OMP_NUM_THREADS reaches the executors through spark.executorEnv.
  echo "[launcher] spark-submit ($(command -v spark-submit)) --master $master $jobs_jar $job" >&2
  # shellcheck disable=SC2086
  exec spark-submit --class io.tsforge.jobs.Main --master "$master" \
    --driver-java-options "$opens ${TSFORGE_DRIVER_JAVA_OPTS:-}" \
    --conf "spark.executor.extraJavaOptions=$opens ${TSFORGE_EXECUTOR_JAVA_OPTS:-}" \
    --conf "spark.executorEnv.OMP_NUM_THREADS=$OMP_NUM_THREADS" \
    ${TSFORGE_SUBMIT_OPTS:-} \
    "$jobs_jar" "$job" "$@"
fi
remote=()
case "$master" in
  ""|local|local\[*) ;;
  *) remote=(--set "spark.jars=$jobs_jar" --set "spark.executor.extraJavaOptions=$opens ${TSFORGE_EXECUTOR_JAVA_OPTS:-}") ;;
esac
# ND4J's native (off-heap) memory: JavaCPP allows as much as the heap's maximum by default (a quarter of RAM), and
# frees it only when the garbage collector runs, so a long job's RSS approaches half the machine. Measured: two compare
# runs side by side on 24 GB reached 13 and 9 GB RSS and one was OOM-killed. Capped here unless TSFORGE_JAVA_OPTS
# sets it.
java_opts="${TSFORGE_JAVA_OPTS:-}"
case "$java_opts" in
  *javacpp.maxbytes*) ;;
  *) java_opts="-Dorg.bytedeco.javacpp.maxbytes=${TSFORGE_OFFHEAP:-3G} $java_opts" ;;
esac
# shellcheck disable=SC2086
exec java $opens $java_opts -cp "$jar" io.tsforge.jobs.Main "$job" "$@" "${remote[@]}"
