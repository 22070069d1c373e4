#!/usr/bin/env bash
# Regenerates data-samples/ (fixed seed: the output is byte-identical to the checked-in files).
# usage: jobs/generate-samples.sh [--out DIR] [--seed N]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/target/tsforge.jar"
[ -f "$jar" ] || (cd "$root" && mvn -q -B -DskipTests package) >&2
exec java -cp "$jar" io.tsforge.samples.SampleDataGenerator "$@"
