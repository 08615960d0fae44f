//===- Fmt.h - fmt support for LLVM types ------------------------*- C++ -*-===//
//
// Every file that formats an llvm::StringRef with fmt must include this, so
// the formatter is the same in every translation unit.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_IR_FMT_H
#define CONNECTORC_IR_FMT_H

#include "llvm/ADT/StringRef.h"

#include <fmt/format.h>

/// Lets fmt print llvm::StringRef like a string.
template <> struct fmt::formatter<llvm::StringRef> : fmt::formatter<fmt::string_view> {
  template <typename Ctx> auto format(llvm::StringRef S, Ctx &C) const {
    return fmt::formatter<fmt::string_view>::format(
        fmt::string_view(S.data(), S.size()), C);
  }
};

#endif
