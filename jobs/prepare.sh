#!/usr/bin/env bash
# prepare: raw readings -> quarantine, resampled series, normalization statistics, tagged windows.
exec "$(dirname "$0")/_launch.sh" prepare "$@"
