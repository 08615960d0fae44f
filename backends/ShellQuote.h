//===- ShellQuote.h - one quoting function per shell language --*- C++ -*-===//
//
// Every untrusted string (prompt, name, path, pattern, environment value) that
// the sh and make backends write reaches the artifact through exactly one of
// these functions; docs/backends.md argues why each is sound.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_BACKENDS_SHELLQUOTE_H
#define CONNECTORC_BACKENDS_SHELLQUOTE_H

#include "ir/ShellQuote.h"

#include "llvm/ADT/StringRef.h"

#include <string>

namespace connectorc {

// shellQuote (POSIX sh) lives in ir/ShellQuote.h: the runtime uses it too.

/// The environment variable, holding one newline, that makeQuote's words
/// refer to; a Makefile using makeQuote starts with makeQuotePreamble().
inline constexpr const char *MakeNewlineVar = "CONNECTOR_NL";

/// Makefile text that defines and exports MakeNewlineVar (a newline), so
/// that every recipe's shell has it in its environment.
std::string makeQuotePreamble();

/// \p S as one shell word inside a GNU Make recipe line, expanding (after
/// Make's own expansion, in a shell whose environment has MakeNewlineVar
/// from makeQuotePreamble()) to exactly \p S. It is shellQuote's word with
/// every newline moved out of the quotes as "${CONNECTOR_NL}" (a recipe line
/// cannot hold a raw newline: Make would end the line there) and every $
/// doubled (Make's only special character inside a recipe line; '#', '%',
/// ';' and backslashes are passed through to the shell as they are, and a
/// line never ends with a backslash since the word ends with a quote).
std::string makeQuote(llvm::StringRef S);

} // namespace connectorc

#endif
