#!/usr/bin/env bash
# The synthetic long-dependency comparison (README, "Architectures"): for each lag L, writes the task (the target
# repeats the pulse input L steps later) and runs compare on it with lookback L + 10, the input gradient read L - 1
# steps back (the step the next target depends on). One table per lag: out/long-dependency/lag<L>/compare/results.md.
# usage: jobs/compare-long-dependency.sh [--lags "10 30 60"] [--steps N] [compare.sh arguments: --set k=v, --master]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lags="10 30 60"; steps=12000; args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --lags) lags="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
for lag in $lags; do
  out="out/long-dependency/lag$lag"
  "$root/jobs/generate-long-dependency.sh" --out "$out/data.csv" --steps "$steps" --lag "$lag"
  "$root/jobs/compare.sh" --config "$root/conf/long-dependency.properties" --set "input.path=$out/data.csv" \
      --set "output.dir=$out" --set "window.lookback=$((lag + 10))" --set "compare.gradientStepsBack=$((lag - 1))" \
      ${args[@]+"${args[@]}"}
done
