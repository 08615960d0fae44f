//===- TomlQuote.h - strings and keys as TOML text ----------------*- C++ -*-===//
//
// Codex CLI takes its MCP servers as `-c key=value` overrides whose value is
// TOML; every string connectorc puts there goes through tomlString, the one
// TOML quoting function. test/unit/TomlQuoteTest.cpp reads the hostile corpus
// back with Python's tomllib.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_IR_TOMLQUOTE_H
#define CONNECTORC_IR_TOMLQUOTE_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace connectorc {

/// \p S (UTF-8) as a TOML basic string: in double quotes, with `"` and `\`
/// escaped, \b \t \n \f \r as such and every other control character
/// (U+0000-U+001F, U+007F) as \uXXXX; all else as it is.
std::string tomlString(llvm::StringRef S);

/// Whether \p Key may stand as a bare TOML key: [A-Za-z0-9_-]+.
bool isBareTomlKey(llvm::StringRef Key);

/// \p Key as a TOML key: bare where it may be, else a tomlString.
std::string tomlKey(llvm::StringRef Key);

} // namespace connectorc

#endif
