//===- YamlQuote.h - the one way a string becomes YAML -----------*- C++
//-*-===//
//
// Every string a CI backend writes into YAML goes through emitYamlString, so
// that any string — a prompt, a name, a path, the shell script itself —
// parses back (yaml-cpp, PyYAML, GitHub's and GitLab's parsers) as exactly
// the same bytes, and never as a number, a boolean, null, an alias, a tag or
// more than one node.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_BACKENDS_YAMLQUOTE_H
#define CONNECTORC_BACKENDS_YAMLQUOTE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>

#include <yaml-cpp/emitter.h>

namespace connectorc {

/// How a string would like to look; the quoting may still choose otherwise.
enum class YamlStyle {
  /// Plain when plainly safe, else double-quoted with every non-ASCII and
  /// control character escaped.
  Auto,
  /// A literal block (`|`) when the text is multi-line printable ASCII that
  /// a literal block reproduces exactly (shell scripts), else as Auto.
  Block
};

/// Writes \p S to \p Out as one YAML string scalar that reads back byte for
/// byte. \p S must be valid UTF-8 (a YAML stream is Unicode); an invalid
/// sequence cannot be represented and is replaced by U+FFFD, so untrusted
/// bytes are passed base64-encoded instead.
void emitYamlString(YAML::Emitter &Out, llvm::StringRef S,
                    YamlStyle Style = YamlStyle::Auto);

/// In a block mapping: \p Key, then \p Value (emitYamlString both).
void yamlPair(YAML::Emitter &Out, llvm::StringRef Key, llvm::StringRef Value,
              YamlStyle Style = YamlStyle::Auto);

/// A sequence of strings (emitYamlString each).
void yamlList(YAML::Emitter &Out, llvm::ArrayRef<std::string> Items,
              YamlStyle Style = YamlStyle::Auto);

/// In a block mapping: \p Key, leaving \p Out ready for its value.
void yamlKey(YAML::Emitter &Out, llvm::StringRef Key);

} // namespace connectorc

#endif
