"""Prints the prompt of the first job of a GitHub workflow emitted by
connectorc: CONNECTOR_CI_PROMPT's words joined, <run> for {run}."""
import base64
import re
import sys

with open(sys.argv[1], encoding="utf-8") as f:
    words = re.search(r"CONNECTOR_CI_PROMPT: *[\"']?([^\"'\n]*)", f.read()).group(1)
text = ""
for w in words.split():
    if w == "r":
        text += "<run>"
    elif w == "s":
        text += "<run>/scratchpad"
    else:
        text += base64.b64decode(w[1:]).decode("utf-8")
sys.stdout.write(text)
