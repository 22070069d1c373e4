#!/usr/bin/env bash
# Shared set-up of the benchmark scripts, sourced after they set $root (the repository): the class path ($cp:
# TSFORGE_CP, else target/tsforge.jar, built when missing), the JVM's --add-opens ($opens), and torch_python.

jar="$root/target/tsforge.jar"
if [ -z "${TSFORGE_CP:-}" ]; then
  [ -f "$jar" ] || (cd "$root" && mvn -q -B -DskipTests package) >&2
fi
cp="${TSFORGE_CP:-$jar}"
opens="$(tr '\n' ' ' < "$root/jobs/jvm-opens")"

# torch_python CANDIDATE...: prints the first candidate python that can import torch, nothing when none can
torch_python() {
  local p
  for p in "$@"; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import torch' 2>/dev/null; then
      echo "$p"
      return
    fi
  done
}
