//===- JsonText.h - llvm::json values as deterministic text ------*- C++
//-*-===//
//
// Objects with sorted keys and numbers in their shortest form ("0.025", not
// LLVM's 17 significant digits), for the journal and the summary.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_JSONTEXT_H
#define CONNECTORC_RUNTIME_JSONTEXT_H

#include "llvm/Support/JSON.h"

#include <string>

namespace connectorc::runtime {

/// \p V as JSON text: one line, or indented by two when \p Pretty.
std::string toJsonText(const llvm::json::Value &V, bool Pretty = false);

/// True when \p Text nests arrays and objects deeper than \p Max (brackets
/// inside strings do not count; the text need not be JSON). LLVM's JSON
/// parser recurses once a level: a line of 50,000 '[' overflows an 8 MiB
/// stack. Check untrusted text with this before llvm::json::parse.
bool nestsDeeperThan(llvm::StringRef Text, unsigned Max);

} // namespace connectorc::runtime

#endif
