#!/usr/bin/env bash
# evaluate: metrics of a forecast backtest and/or detect output next to baselines (last value, seasonal naive, MLlib
# linear autoregression; a seasonal-residual detector), NAB scores with labels, and an HTML report with charts, into
# <output.dir>/evaluation/run_date=.../ (metrics.json, metrics.md, report.html, charts/).
exec "$(dirname "$0")/_launch.sh" evaluate "$@"
