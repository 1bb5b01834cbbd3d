#!/usr/bin/env python3
"""The public surface, three ways, must agree:
- the functions the public headers declare QZ_API,
- the symbols the version script lists (LIBQUAZAR_x.y, explicitly),
- the dynamic symbols libquazar.so exports,
and test-exports must link every one of them."""
import glob, re, subprocess, sys

exports_test, library, script, headers = sys.argv[1:5]
# A folder of headers (less --exclude NAME ...), or one header: libquazar-bpf's.
excluded = set(sys.argv[6:]) if sys.argv[5:6] == ['--exclude'] else set()
paths = [headers] if headers.endswith('.h') else glob.glob(headers + '/*.h')

declared = set()
for path in paths:
    if path.rsplit('/', 1)[-1] in excluded:
        continue
    text = re.sub(r'/\*.*?\*/', '', open(path).read(), flags=re.S)
    for decl in re.findall(r'\bQZ_API\b([^;{]*)', text):
        name = re.search(r'\b(qz_\w+)\s*\(', decl)
        if name:
            declared.add(name.group(1))

script_text = re.sub(r'/\*.*?\*/', '', open(script).read(), flags=re.S)
listed = set(re.findall(r'^\s*(qz_\w+);', script_text, re.M))
nodes = re.findall(r'^(LIBQUAZAR\w*?_[0-9.]+)\s*\{', script_text, re.M)
nm = subprocess.run(['nm', '-D', '--defined-only', library], capture_output=True,
                    text=True, check=True).stdout
exported = {l.split()[2].split('@')[0] for l in nm.splitlines()
            if len(l.split()) == 3 and l.split()[1] in 'TDB'} - set(nodes)
linked = set(subprocess.run([exports_test, '--list'], capture_output=True,
                            text=True, check=True).stdout.split())

ok = True
def differ(what, a, b, fix):
    global ok
    for s in sorted(a - b):
        print(f'{s}: {what}; {fix}')
        ok = False

if not nodes or '*' in re.sub(r'local:\s*\*;', '', script_text):
    print(f'{script}: list every symbol explicitly in a LIBQUAZAR*_x.y node (no globs but local: *;)')
    ok = False
differ('declared QZ_API but not in the version script', declared, listed, f'add it to {script}')
differ('in the version script but declared nowhere', listed, declared, 'declare it with QZ_API or drop it')
differ('listed but not exported by the library', listed, exported, 'define it with QZ_API')
differ('exported but not listed', exported, listed, f'add it to {script}')
differ('exported but not linked by test-exports', exported, linked, 'add SYM() to tests/unit/exports-*.inc')
if ok:
    print(f'{len(exported)} symbols: headers, version script ({", ".join(nodes)}), library and test agree')
sys.exit(0 if ok else 1)
