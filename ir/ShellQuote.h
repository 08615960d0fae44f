//===- ShellQuote.h - one POSIX shell word for any string ---------*- C++
//-*-===//
//
// The one quoting function for POSIX sh, shared by the sh and make backends
// (backends/ShellQuote.h) and the runtime, which hands ssh the words of the
// remote command (ssh joins them into one line for the remote shell).
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_IR_SHELLQUOTE_H
#define CONNECTORC_IR_SHELLQUOTE_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace connectorc {

/// \p S as one POSIX shell word that expands to exactly \p S: single-quoted,
/// each ' written as '\''. Nothing is special inside single quotes, so no
/// expansion, splitting or globbing can happen. \p S must not hold a NUL
/// byte (no shell variable or argument can).
std::string shellQuote(llvm::StringRef S);

} // namespace connectorc

#endif
