#!/usr/bin/env bash
# compare: train several model.type values (and gradient clipping settings) on the same split, one table of results.
# e.g. jobs/generate-long-dependency.sh && jobs/compare.sh --config conf/long-dependency.properties
exec "$(dirname "$0")/_launch.sh" compare "$@"
