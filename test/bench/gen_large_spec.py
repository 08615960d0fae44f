#!/usr/bin/env python3
"""Writes a large, valid connector.json (about 10 MB by default) for the lint benchmark:
thousands of phases, each with several workers, prompts, sessions and dependencies."""
import json
import sys

def main():
    out = sys.argv[1]
    target = int(sys.argv[2]) if len(sys.argv) > 2 else 10 * 1024 * 1024
    models = {"cheap": "haiku", "medium": "sonnet", "expensive": "opus",
              "fast": "gemini", "local": "ollama/llama3", "speed": "codex"}
    aliases = list(models)
    phases = []
    size = 0
    i = 0
    while size < target:
        workers = []
        for w in range(6):
            workers.append({
                "name": f"w{w}",
                "model": aliases[(i + w) % len(aliases)],
                "prompt": (f"Phase {{phase}}, worker {{worker}} of {{name}}: review module {i}.{w} "
                           "for correctness, security and performance; write findings to {scratchpad}. ") * 2,
                "failover": [aliases[(i + w + 3) % len(aliases)]],
                "timeout": "30m",
            })
        phase = {
            "name": f"phase-{i}",
            "workers": workers,
            "parallel": True,
            "session": {"sandbox": {"network": False, "write": ["build"]}, "worktree": "p{phase}-{worker}"},
            "retries": 1,
            "output": f"out/{{phase}}-{i}.md",
        }
        if i > 1:
            phase["depends_on"] = sorted({f"phase-{i - 1}", f"phase-{i // 2}"})
        phases.append(phase)
        size += len(json.dumps(phase))
        i += 1
    spec = {"connector": "2.0", "name": "bench", "description": "lint benchmark",
            "models": models, "pipeline": {"phases": phases, "scratchpad": True}}
    with open(out, "w") as f:
        json.dump(spec, f, indent=1)

if __name__ == "__main__":
    main()
