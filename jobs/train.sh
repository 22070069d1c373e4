#!/usr/bin/env bash
# train: prepared windows -> recurrent forecaster (parameter averaging across executors) -> versioned model bundle.
# --resume continues from the last checkpoint in train.checkpointDir.
exec "$(dirname "$0")/_launch.sh" train "$@"
