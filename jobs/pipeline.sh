#!/usr/bin/env bash
# The whole pipeline in one Spark session, each stage writing its own outputs and summary.
exec "$(dirname "$0")/_launch.sh" pipeline "$@"
