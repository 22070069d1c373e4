#!/usr/bin/env bash
# Benchmark (not a test): the NAB subset. Each file's detector learns only from its probation rows (first 15 %, at most
# 750), scores the rest online; the corpus is scored with NAB's three profiles (io.tsforge.eval.NabScorer).
#   jobs/bench-nab.sh --data ../shared/data/nab [--out out/bench-nab] [--detector novelty|residual]
#                     [--set key=value ...] [--verbose]
# The default detector is io.tsforge.eval.StreamingNoveltyDetector; --set changes one of its settings corpus-wide.
# Per-file scores go to <out>/<group>/<file>.csv (NAB's results format) and the totals to <out>/scores.json.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/target/tsforge.jar"
[ -f "$jar" ] || (cd "$root" && mvn -q -B -DskipTests package) >&2
exec java -Djava.awt.headless=true -cp "$jar" io.tsforge.bench.NabBench "$@"
