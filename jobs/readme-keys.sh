#!/usr/bin/env bash
# Regenerates the configuration key table in README.md from the key declarations (ConfigKeys), between the
# keys:start and keys:end markers. ReadmeTest fails when a declared key is missing from the README.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ -f "$root/target/tsforge.jar" ] || (cd "$root" && mvn -q -B -DskipTests package) >&2
table="$(java -cp "$root/target/tsforge.jar" io.tsforge.jobs.Main --help | python3 "$root/jobs/readme-keys.py")"
python3 - "$root/README.md" "$table" <<'PY'
import sys
path, table = sys.argv[1], sys.argv[2]
s = open(path).read()
a = s.index('<!-- keys:start')
a = s.index('\n', a) + 1
b = s.index('<!-- keys:end -->')
header = '| key | type | default | meaning |\n|---|---|---|---|\n'
spark = '| `spark.*` | | | passed to Spark as is (`spark.master` selects the cluster) |\n'
open(path, 'w').write(s[:a] + header + table + '\n' + spark + s[b:])
PY
echo "README.md key table regenerated"
