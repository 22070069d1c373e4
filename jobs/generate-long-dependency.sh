#!/usr/bin/env bash
# Writes the synthetic long-dependency task (target = pulse 60 steps earlier) for jobs/compare.sh.
# usage: jobs/generate-long-dependency.sh [--out FILE] [--steps N] [--lag L] [--seed S]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/target/tsforge.jar"
[ -f "$jar" ] || (cd "$root" && mvn -q -B -DskipTests package) >&2
exec java -cp "$jar" io.tsforge.samples.LongDependencyGenerator "$@"
