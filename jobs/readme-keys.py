# Turns `Main --help` key lines into README table rows (used by jobs/readme-keys.sh).
import sys, re
rows = []
for line in sys.stdin:
    m = re.match(r'^  ([a-z]+\.\w+)\s+(.*)$', line.rstrip())
    if not m:
        continue
    key, rest = m.groups()
    typ, desc = rest.split('. ', 1) if '. ' in rest else (rest, '')
    req = 'required' in typ
    d = re.search(r'default (.*)$', typ)
    default = d.group(1) if d else ('(required)' if req else '')
    t = re.sub(r', (required|default .*)$', '', typ)
    esc = lambda s: s.replace('|', '\\|')
    rows.append('| `%s` | %s | %s | %s |' % (key, esc(t), esc(default), esc(desc)))
print('\n'.join(rows))
