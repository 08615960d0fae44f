"""Writes level0.json .. levelN.json: level K (K < N) has a worker phase
"work" and a team phase "sub" running level K+1; the root also has a phase
"after" that follows its team. Level N has only "work"."""
import json
import sys

depth = int(sys.argv[1])
for k in range(depth + 1):
    phases = [{"name": "work", "model": "m", "prompt": f"Level {k} works."}]
    if k < depth:
        phases.append({"name": "sub", "team": f"./level{k + 1}.json"})
    if k == 0:
        phases.append({"name": "after", "model": "m", "prompt": "Sum up."})
    spec = {
        "connector": "2.0",
        "name": f"level{k}",
        "models": {"m": "sim/fast"},
        "pipeline": {"phases": phases, "scratchpad": True},
    }
    with open(f"level{k}.json", "w") as f:
        json.dump(spec, f, indent=1)
