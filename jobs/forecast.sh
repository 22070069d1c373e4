#!/usr/bin/env bash
# forecast: forecasts with prediction intervals into <output.dir>/forecasts/run_date=.../
# Re-running the same --run-date replaces that partition only, atomically.
exec "$(dirname "$0")/_launch.sh" forecast "$@"
