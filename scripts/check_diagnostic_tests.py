#!/usr/bin/env python3
"""Fails when a diagnostic kind of ir/DiagnosticKinds.def has no lit test.

usage: check_diagnostic_tests.py [--list]

A kind counts as tested when a FileCheck line (a line with one of the check
prefixes its file's RUN lines use; -NOT lines excepted) of some test under
test/lit/ expects it:
  - by rule id, in JSON ("rule":"ID"), SARIF ("ruleId": "ID") or GitHub
    (title=ID) output; or
  - by message, in human output: the text after "error: ", "warning: " or
    "note: " is a message of that kind, or its beginning (the format's literal
    text, with any text or FileCheck pattern where the format has {}). When it
    fits several kinds, the one whose literal text it shows most of wins; a tie
    (such as the two "'…' was first defined here" notes) proves neither, so
    such kinds need a test that checks the rule id. A FileCheck pattern that
    stands for literal text of the format does not fit.

With --list, prints every kind and the tests that trigger it.
"""
import glob
import os
import re
import sys
from collections import defaultdict

sys.dont_write_bytecode = True  # keep the source tree clean when ctest runs it
from diagkinds import ROOT, message_pieces, read_kinds

LIT_DIR = os.path.join(ROOT, "test", "lit")
RULE_ID = re.compile(r'"rule":\s*"([a-z0-9-]+)"|"ruleId":\s*"([a-z0-9-]+)"|title=([a-z0-9-]+)')
LEVEL = re.compile(r"\b(error|warning|note): ")
# FileCheck's own syntax inside an expected line: {{regex}} and [[VAR]]/[[VAR:regex]].
PATTERN = re.compile(r"\{\{.*?\}\}|\[\[.*?\]\]")
ANY = "\x00"  # stands for a FileCheck pattern: it can match any text


def check_prefixes(text):
    """The FileCheck prefixes a test's RUN lines use (CHECK by default)."""
    prefixes = set()
    for run in re.findall(r"^\s*(?:#\s*)?RUN:(.*)$", text, re.M):
        if "FileCheck" not in run:
            continue
        named = re.findall(r"--check-prefix(?:es)?[= ]([\w,-]+)", run)
        if not named:
            prefixes.add("CHECK")
        for group in named:
            prefixes.update(group.split(","))
    return prefixes


def check_lines(path):
    """The expected-output text of every positive check line of a test."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    prefixes = check_prefixes(text)
    if not prefixes:
        return []
    alternatives = "|".join(re.escape(p) for p in sorted(prefixes))
    line = re.compile(rf"^\s*(?:#\s*)?(?:{alternatives})"
                      r"(?:-NEXT|-SAME|-DAG|-LABEL|-COUNT-\d+)?:(.*)$", re.M)
    return [m.group(1) for m in line.finditer(text)]


def prefix_regex(piece):
    """A regex for the longest prefix of piece (greedy nested optionals)."""
    regex = ""
    for c in reversed(piece):
        regex = f"(?:{re.escape(c)}{regex})?"
    return regex


class MessageMatcher:
    """Tells which kind a message in a check line is."""

    MIN_PREFIX_WEIGHT = 8  # literal characters a beginning must show

    def __init__(self, kinds):
        self.formats = []
        for k in kinds:
            pieces = message_pieces(k.format)
            # Ending inside piece i: the pieces before it in full, then the
            # longest prefix of piece i. The whole message is i = last.
            endings = []
            for i in range(len(pieces)):
                head = "".join(re.escape(p) + "(?:.*?)" for p in pieces[:i])
                endings.append((sum(map(len, pieces[:i])),
                                re.compile(f"(?s){head}({prefix_regex(pieces[i])})")))
            self.formats.append((k, endings, sum(map(len, pieces))))

    def score(self, endings, total, message):
        """(literal characters of the format shown, whole message?) or None.

        A whole message always counts (the catch-all "{}: {}" has only two
        literal characters); a beginning needs MIN_PREFIX_WEIGHT of them.
        """
        best = None
        for before, regex in endings:
            m = regex.fullmatch(message)
            if not m:
                continue
            shown = before + len(m.group(1))
            whole = shown == total and regex is endings[-1][1]
            if whole or shown >= self.MIN_PREFIX_WEIGHT:
                best = max(best or (-1, False), (shown, whole))
        return best

    def kind_of(self, level, message):
        """The one kind this message (whole, or its beginning) fits best, or None."""
        scored = [(self.score(endings, total, message), k)
                  for k, endings, total in self.formats
                  if k.level == level or (level == "error" and k.level == "warning")]
        scored = [(s, k) for s, k in scored if s is not None]
        if not scored:
            return None
        best = max(s for s, _ in scored)
        winners = [k for s, k in scored if s == best]
        return winners[0] if len(winners) == 1 else None


def expected_message(check):
    """(level, message) of a human-format check line, or None."""
    m = LEVEL.search(check)
    if not m:
        return None
    message = check[m.end():].rstrip()
    message = re.sub(r"\{\{\$\}\}$", "", message)
    message = re.sub(r" \[-Werror\]$", "", message)
    return m.group(1), PATTERN.sub(ANY, message)


def coverage(kinds):
    """rule id → the tests (relative paths) that check it."""
    by_id = {k.rule_id: k for k in kinds}
    matcher = MessageMatcher(kinds)
    tested = defaultdict(set)
    for path in sorted(glob.glob(os.path.join(LIT_DIR, "**", "*.test"), recursive=True)):
        name = os.path.relpath(path, ROOT)
        for check in check_lines(path):
            for groups in RULE_ID.findall(check):
                rule = next(g for g in groups if g)
                if rule in by_id:
                    tested[rule].add(name)
            found = expected_message(check)
            kind = found and matcher.kind_of(*found)
            if kind:
                tested[kind.rule_id].add(name)
    return tested


UNIT_DIR = os.path.join(ROOT, "test", "unit")


def unit_coverage(kinds, tested):
    """Kinds that no input can trigger (internal errors) are tested through
    the API: a unit test that names DiagKind::<Name> in an expectation."""
    for path in sorted(glob.glob(os.path.join(UNIT_DIR, "*.cpp"))):
        text = open(path, encoding="utf-8").read()
        for k in kinds:
            if re.search(r"EXPECT_\w+\([^;]*DiagKind::" + k.name + r"\b", text):
                tested[k.rule_id].add(os.path.relpath(path, ROOT))


def main(argv):
    if argv not in ([], ["--list"]):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    kinds = read_kinds()
    tested = coverage(kinds)
    unit_coverage(kinds, tested)
    if argv:
        for k in kinds:
            print(f"{k.rule_id}: {' '.join(sorted(tested[k.rule_id])) or '-'}")
    missing = [k for k in kinds if not tested[k.rule_id]]
    for k in missing:
        print(f"ir/DiagnosticKinds.def: {k.name} ({k.rule_id}) has no lit test that "
              f"checks it (by message in human output, or by rule id)", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
