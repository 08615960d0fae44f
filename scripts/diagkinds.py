"""Reads ir/DiagnosticKinds.def: the one list of every diagnostic connectorc emits.

Shared by gen_diagnostics_doc.py and check_diagnostic_tests.py, so both read the
table the same way the C++ preprocessor does (adjacent string literals are joined).
"""
import os
import re
from typing import List, NamedTuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEF_FILE = os.path.join(ROOT, "ir", "DiagnosticKinds.def")


class DiagKind(NamedTuple):
    name: str
    level: str  # "error", "warning" or "note"
    rule_id: str
    format: str  # an fmt format string
    summary: str


_TOKEN = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([A-Za-z_]\w*)|(,)|(\)))', re.S)
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "'": "'"}


def _unescape(literal: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), literal)


def _arguments(text: str, pos: int):
    """The arguments of the DIAG( call whose '(' ends before pos, and the end."""
    args, current = [], None
    while True:
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"{DEF_FILE}: cannot read DIAG near: {text[pos:pos + 40]!r}")
        pos = m.end()
        literal, ident, comma, close = m.groups()
        if literal is not None:
            current = (current or "") + _unescape(literal)
        elif ident is not None:
            current = ident
        elif comma or close:
            args.append(current)
            current = None
            if close:
                return args, pos


def read_kinds(path: str = DEF_FILE) -> List[DiagKind]:
    """Every DIAG(...) entry of the .def file, in declaration order."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # Comments may quote DIAG( (the header does); drop them first.
    text = re.sub(r"//[^\n]*", "", text)
    kinds = []
    for m in re.finditer(r"^DIAG\(", text, re.M):
        args, _ = _arguments(text, m.end())
        if len(args) != 5:
            raise ValueError(f"{DEF_FILE}: DIAG({args[0]}) has {len(args)} arguments, not 5")
        name, level, rule_id, fmt, summary = args
        kinds.append(DiagKind(name, level.lower(), rule_id, fmt, summary))
    return kinds


def message_pieces(fmt: str) -> List[str]:
    """The literal text of an fmt format string between its {} fields."""
    pieces, literal, i = [], "", 0
    while i < len(fmt):
        two = fmt[i:i + 2]
        if two in ("{{", "}}"):
            literal += two[0]
            i += 2
        elif two == "{}":
            pieces.append(literal)
            literal = ""
            i += 2
        else:
            literal += fmt[i]
            i += 1
    pieces.append(literal)
    return pieces
