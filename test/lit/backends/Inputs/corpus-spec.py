"""Writes a spec whose phases are named by every string of the adversarial
corpus (argv[1]), once each, skipping the empty one: one task per phase."""
import json
import sys

with open(sys.argv[1], encoding="utf-8") as f:
    corpus = json.load(f)
names = list(dict.fromkeys(s for s in corpus if s))
phases = [{"name": n, "model": "ok", "prompt": "p", "depends_on": []} for n in names]
phases[-1]["depends_on"] = names[:3]
json.dump({"connector": "2.0", "name": "corpus",
           "models": {"ok": {"provider": "custom", "command": ["/bin/echo"]}},
           "pipeline": {"phases": phases}}, sys.stdout)
