# Writes 1.5 MB specs for large-file-faults.test, each with one fault in the
# value on line 4 (after a 1.5 MB description on line 3).
import os, sys

out = sys.argv[1]
pad = "x" * 1_500_000


def spec(line4, name='"n"'):
    return ('{\n  "connector": "2.0",\n  "name": %s, "description": "%s",\n'
            '  "x-a": %s,\n'
            '  "models": { "m": "claude" },\n'
            '  "pipeline": { "phases": [ { "name": "a", "model": "m", "prompt": "p" } ] }\n'
            '}\n' % (name, pad, line4)).encode()


def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


write("clean.json", spec('"ok"'))
write("bad-utf8.json", spec('"ok"').replace(b'"x-a": "ok"', b'"x-a": "\xff"'))
write("nul-byte.json", spec('"ok"').replace(b'"x-a": "ok"', b'"x-a": \x00'))
write("nul-escape.json", spec('"\\u0000"'))
write("lone.json", spec('"\\udc00"'))
# A missing comma on line 4 (column 3), then a lone surrogate further on.
write("lone-after-syntax.json",
      spec('"ok" "x-b": "\\udc00"').replace(b'"x-a": "ok" "x-b"', b'"x-a": "ok"\n  "x-b"'))
write("lone-before-syntax.json", spec('"ok" "x-b": 1', name='"\\udc00"'))
