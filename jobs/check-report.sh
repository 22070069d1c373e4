#!/usr/bin/env bash
# Renders an evaluate report in headless Chromium and saves a screenshot, to check by eye (or in ReportRenderTest)
# that the HTML and its embedded charts display:
#   jobs/check-report.sh out/samples/evaluation/run_date=2024-03-26/report.html [screenshot.png]
# Needs chromium (Debian: apt-get install -y chromium). Exit code 3 when it is not installed.
set -euo pipefail
report="${1:?usage: jobs/check-report.sh REPORT.html [SCREENSHOT.png]}"
shot="${2:-${report%.html}.png}"
[ -f "$report" ] || { echo "no such report: $report" >&2; exit 2; }
browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
[ -n "$browser" ] || { echo "chromium is not installed (apt-get install -y chromium)" >&2; exit 3; }
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
abs="$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
rm -f "$shot"
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$profile" \
  --hide-scrollbars --screenshot="$shot" --window-size=1200,3000 "file://$abs" >/dev/null 2>&1 || true
[ -s "$shot" ] || { echo "chromium wrote no screenshot for $report" >&2; exit 1; }
echo "screenshot: $shot"
