//===- YamlQuote.cpp - the one way a string becomes YAML ------------------===//
#include "backends/YamlQuote.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"

using namespace connectorc;
using llvm::StringRef;

/// Words that some YAML 1.1 or 1.2 parser reads as a boolean or null.
static bool isYamlKeyword(StringRef S) {
  return llvm::StringSwitch<bool>(S.lower())
      .Cases("y", "n", "yes", "no", "on", "off", true)
      .Cases("true", "false", "null", "nan", "inf", true)
      .Default(false);
}

/// A letter first, then letters, digits and `_./-` only: never a number,
/// indicator, comment, alias, tag or key, in any YAML version.
static bool isPlainSafe(StringRef S) {
  if (S.empty() || !llvm::isAlpha(S.front()) || isYamlKeyword(S))
    return false;
  return llvm::all_of(S, [](char C) {
    return llvm::isAlnum(C) || C == '_' || C == '.' || C == '/' || C == '-';
  });
}

/// Multi-line printable ASCII ending in exactly one newline, with no line
/// that ends in blanks and a first line that does not start with one: what
/// a clipped literal block reproduces exactly.
static bool isBlockSafe(StringRef S) {
  if (!S.endswith("\n") || S.endswith("\n\n") || !S.drop_back().contains('\n'))
    return false;
  if (S.front() == ' ' || S.contains(" \n"))
    return false;
  return llvm::all_of(
      S, [](char C) { return C == '\n' || (C >= 0x20 && C < 0x7f); });
}

void connectorc::emitYamlString(YAML::Emitter &Out, StringRef S,
                                YamlStyle Style) {
  std::string Text = S.str();
  if (Style == YamlStyle::Block && isBlockSafe(S))
    Out << YAML::Literal << Text;
  else if (isPlainSafe(S))
    Out << Text;
  else
    Out << YAML::EscapeNonAscii << YAML::DoubleQuoted << Text;
}

void connectorc::yamlPair(YAML::Emitter &Out, StringRef Key, StringRef Value,
                          YamlStyle Style) {
  yamlKey(Out, Key);
  emitYamlString(Out, Value, Style);
}

void connectorc::yamlKey(YAML::Emitter &Out, StringRef Key) {
  Out << YAML::Key;
  emitYamlString(Out, Key);
  Out << YAML::Value;
}

void connectorc::yamlList(YAML::Emitter &Out, llvm::ArrayRef<std::string> Items,
                          YamlStyle Style) {
  Out << YAML::BeginSeq;
  for (const std::string &I : Items)
    emitYamlString(Out, I, Style);
  Out << YAML::EndSeq;
}
