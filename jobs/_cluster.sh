#!/usr/bin/env bash
# Sourced, not run: a Spark standalone cluster on loopback made of separate JVMs (one Master, N Workers) started from
# Spark's own classes in a SPARK_HOME assembled by jobs/spark-home.sh. Each daemon runs in its own process group
# (setsid), so cluster_stop ends it together with the executors it started, by group id, and nothing else.
#   cluster_start DIR WORKERS CORES_PER_WORKER WORKER_MEMORY   sets CLUSTER_MASTER (spark://...) and CLUSTER_UI
#   cluster_worker_pid I      the Worker JVM of worker I (1-based); its children are that worker's executors
#   cluster_stop              TERM, then KILL after 10 s, every process group it started
# The caller sets its own trap: trap cluster_stop EXIT
CLUSTER_PIDS=()
CLUSTER_WORKER_PIDS=()

_cluster_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

_cluster_alive_workers() {
  curl -fs "http://127.0.0.1:$CLUSTER_UI/json/" 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin).get("aliveworkers", 0))' 2>/dev/null || echo 0
}

cluster_start() {
  local dir="$1" workers="$2" cores="$3" memory="$4" root port i wport wui
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  mkdir -p "$dir"
  export SPARK_HOME
  SPARK_HOME="$("$root/jobs/spark-home.sh" "${TSFORGE_SPARK_HOME:-$root/out/spark-home}")"
  export PATH="$SPARK_HOME/bin:$PATH"
  export SPARK_SCALA_VERSION=2.12 SPARK_LOCAL_IP=127.0.0.1 SPARK_DAEMON_MEMORY="${SPARK_DAEMON_MEMORY:-512m}"
  # the module flags for the Master and Worker JVMs (executors get theirs from spark.executor.extraJavaOptions)
  SPARK_DAEMON_JAVA_OPTS="$(tr '\n' ' ' < "$root/jobs/jvm-opens")"
  export SPARK_DAEMON_JAVA_OPTS
  port="$(_cluster_free_port)"; CLUSTER_UI="$(_cluster_free_port)"
  CLUSTER_MASTER="spark://127.0.0.1:$port"
  # the daemons log at INFO into their own files (executor launches and losses are checked there); drivers keep WARN
  mkdir -p "$dir/conf"
  sed 's/^rootLogger.level = .*/rootLogger.level = info/' "$SPARK_HOME/conf/log4j2.properties" > "$dir/conf/log4j2.properties"
  SPARK_CONF_DIR="$dir/conf" setsid nice -n 19 "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master --host 127.0.0.1 \
    --port "$port" --webui-port "$CLUSTER_UI" > "$dir/master.log" 2>&1 &
  CLUSTER_PIDS+=($!)
  for i in $(seq 1 "$workers"); do
    wport="$(_cluster_free_port)"; wui="$(_cluster_free_port)"
    mkdir -p "$dir/worker-$i"
    SPARK_CONF_DIR="$dir/conf" setsid nice -n 19 "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 \
      --port "$wport" --webui-port "$wui" --cores "$cores" --memory "$memory" --work-dir "$dir/worker-$i" \
      "$CLUSTER_MASTER" > "$dir/worker-$i.log" 2>&1 &
    CLUSTER_PIDS+=($!); CLUSTER_WORKER_PIDS+=($!)
  done
  for _ in $(seq 1 120); do
    [ "$(_cluster_alive_workers)" = "$workers" ] && { echo "[cluster] $CLUSTER_MASTER: $workers workers x $cores core(s), $memory each (UI http://127.0.0.1:$CLUSTER_UI)" >&2; return 0; }
    sleep 1
  done
  echo "[cluster] $workers workers did not register with $CLUSTER_MASTER in 120 s; see $dir/*.log" >&2
  tail -5 "$dir"/*.log >&2
  return 1
}

cluster_worker_pid() {
  echo "${CLUSTER_WORKER_PIDS[$(($1 - 1))]}"
}

cluster_stop() {
  local pid alive
  [ "${#CLUSTER_PIDS[@]}" -gt 0 ] || return 0
  for pid in "${CLUSTER_PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for _ in $(seq 1 20); do
    alive=0
    for pid in "${CLUSTER_PIDS[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for pid in "${CLUSTER_PIDS[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  CLUSTER_PIDS=(); CLUSTER_WORKER_PIDS=()
  echo "[cluster] stopped" >&2
}
