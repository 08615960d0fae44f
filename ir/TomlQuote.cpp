//===- TomlQuote.cpp - strings and keys as TOML text ----------------------===//
#include "ir/TomlQuote.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"

#include <cassert>

using namespace connectorc;

namespace {
/// The escape TOML has a short form for, else nullptr.
const char *shortEscape(char C) {
  switch (C) {
  case '"':
    return "\\\"";
  case '\\':
    return "\\\\";
  case '\b':
    return "\\b";
  case '\t':
    return "\\t";
  case '\n':
    return "\\n";
  case '\f':
    return "\\f";
  case '\r':
    return "\\r";
  }
  return nullptr;
}

/// TOML forbids these unescaped in a basic string.
bool isControl(unsigned char C) { return C < 0x20 || C == 0x7f; }
} // namespace

std::string connectorc::tomlString(llvm::StringRef S) {
  // TOML text is UTF-8; the frontend rejects specs that are not.
  assert(llvm::json::isUTF8(S) && "TOML strings must be UTF-8");
  std::string Out = "\"";
  for (char C : S) {
    auto U = static_cast<unsigned char>(C);
    if (const char *E = shortEscape(C))
      Out += E;
    else if (isControl(U))
      Out += {'\\', 'u', '0', '0', llvm::hexdigit(U >> 4), llvm::hexdigit(U & 15)};
    else
      Out += C;
  }
  return Out + "\"";
}

bool connectorc::isBareTomlKey(llvm::StringRef Key) {
  return !Key.empty() && llvm::all_of(Key, [](char C) {
    return llvm::isAlnum(C) || C == '_' || C == '-';
  });
}

std::string connectorc::tomlKey(llvm::StringRef Key) {
  return isBareTomlKey(Key) ? Key.str() : tomlString(Key);
}
