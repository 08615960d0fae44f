//===- PatternSize.h - how big a POSIX ERE becomes when compiled -*- C++ -*-===//
//
// llvm::Regex (BSD regcomp) compiles a counted repetition by copying what it
// repeats: "x{1,255}" is 255 copies of x, and nested counts multiply, so a
// 38-byte "((((a{1,255}){1,255}){1,255}){1,255})" asks for 4 billion copies
// and takes gigabytes and minutes before it fails. Patterns from outside (a
// user registry, a plan file) are measured before they are compiled.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_IR_PATTERNSIZE_H
#define CONNECTORC_IR_PATTERNSIZE_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>

namespace connectorc {

/// The most copies a pattern may compile to: 100,000 (a 3-level
/// "((a{1,50}){1,50}){1,50}" is 125,000; 1,000,000 compiles in 0.2 s).
constexpr std::uint64_t MaxPatternCopies = 100000;

/// Roughly how many atoms \p Pattern (a POSIX ERE) compiles to, counting each
/// counted repetition as that many copies; saturates at UINT64_MAX.
std::uint64_t patternCopies(llvm::StringRef Pattern);

/// Why \p Pattern is too big to compile (over MaxPatternCopies), if it is.
std::optional<std::string> patternTooLarge(llvm::StringRef Pattern);

} // namespace connectorc

#endif
