# Counts, in the dot file $1 and the mermaid file $2, the cluster labels and
# the lines that are not one whole statement: a label that let a quote or a
# line break through would leave such a line. (grep -c exits 1 on a count
# of 0, which is the answer hoped for.)
grep -c '^    label=".*";$' "$1"
grep -v -c -E '^(//|digraph|}|  [a-z}]|    [a-z])' "$1" || true
grep -c '^  subgraph s[0-9]*\["[^"]*"\]$' "$2"
grep -v -c -E '^(%%|flowchart|  (subgraph|end|t[0-9]|s[0-9]|classDef|class )|    (t|machine)[0-9]+\["[^"]*"\]$)' "$2" || true
