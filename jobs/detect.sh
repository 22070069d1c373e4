#!/usr/bin/env bash
# detect: anomaly scores and flags into <output.dir>/anomalies/run_date=.../ and events/
# Re-running the same --run-date replaces that partition only, atomically.
exec "$(dirname "$0")/_launch.sh" detect "$@"
