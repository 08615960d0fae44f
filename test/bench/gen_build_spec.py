#!/usr/bin/env python3
"""Writes a valid connector.json with about N tasks: phases of 50 counted
workers each (templates in prompt and worktree), every tenth phase a worker
array, failover everywhere, a DAG of depends_on. Usage: gen_build_spec.py N OUT"""
import json
import sys

def main():
    tasks, out = int(sys.argv[1]), sys.argv[2]
    per_phase = 50
    phases = []
    for i in range(max(1, tasks // per_phase)):
        phase = {
            "name": f"p{i}",
            "prompt": f"Phase {{phase}} of {{name}}: worker {{worker}} on {{model}} at {{machine}}; notes in {{scratchpad}}/p{i}.",
            "failover": ["backup", "local"],
        }
        if i % 10 == 9:
            phase["workers"] = [{"name": f"w{j}", "model": ["fast", "strong"][j % 2]}
                                for j in range(per_phase)]
        else:
            phase["workers"] = per_phase
            phase["model"] = ["fast", "strong"][i % 2]
        if i % 7 == 3:
            phase["session"] = {"worktree": "wt-{phase}-{worker}"}
        if i >= 2:
            phase["depends_on"] = [f"p{i - 1}", f"p{i - 2}"]
        phases.append(phase)
    spec = {
        "connector": "2.0",
        "name": "bench",
        "description": "build benchmark",
        "models": {"fast": "haiku", "strong": "opus", "backup": "codex",
                   "local": "ollama/llama3"},
        "pipeline": {"phases": phases, "scratchpad": True},
    }
    with open(out, "w") as f:
        json.dump(spec, f, indent=1)

main()
