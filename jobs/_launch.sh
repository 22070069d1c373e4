#!/usr/bin/env bash
# Shared launcher of every job: jobs/<job>.sh --config FILE [--set key=value ...] [--master URL]
# Embedded local Spark by default; with --master URL (or spark.master in the config) it goes through spark-submit
# when that is on the PATH, else the embedded client connects to that master itself.
set -euo pipefail
job="$1"; shift
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/target/tsforge.jar"
if [ ! -f "$jar" ] || [ ! -d "$root/target/lib" ]; then
  echo "[launcher] $jar is missing: building it (mvn package, a few minutes the first time) ..." >&2
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
  exec spark-submit --class io.tsforge.jobs.Main --master "$master" \
    --driver-java-options "$opens" \
    --driver-class-path "$root/target/lib/*" \
    --conf "spark.executor.extraClassPath=$root/target/lib/*" \
    --conf "spark.executor.extraJavaOptions=$opens" \
    --conf "spark.executorEnv.OMP_NUM_THREADS=$OMP_NUM_THREADS" \
    "$jar" "$job" "$@"
fi
# shellcheck disable=SC2086
exec java $opens ${TSFORGE_JAVA_OPTS:-} -cp "$jar" io.tsforge.jobs.Main "$job" "$@"
