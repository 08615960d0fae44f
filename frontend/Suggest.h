//===- Suggest.h - "did you mean" ---------------------------------*- C++ -*-===//
#ifndef CONNECTORC_FRONTEND_SUGGEST_H
#define CONNECTORC_FRONTEND_SUGGEST_H

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <vector>

namespace connectorc {

/// Names this short get no suggestion: one edit away from "a" or "x1" is
/// almost every other short name, so a guess would be noise.
constexpr size_t MinSuggestedNameLength = 3;

/// The candidate closest to \p Name by edit distance, if one is close enough
/// to be a plausible typo (distance 1 up to 4 letters, 2 up to 8, else 3).
/// Names of one or two letters get none.
template <typename Range>
std::optional<std::string> nearestName(llvm::StringRef Name,
                                       const Range &Candidates) {
  if (Name.size() < MinSuggestedNameLength)
    return std::nullopt;
  // A swapped pair of letters costs 2, so names of 5+ letters allow 2.
  unsigned Limit = Name.size() <= 4 ? 1 : Name.size() <= 8 ? 2 : 3;
  std::optional<std::string> Best;
  unsigned BestDist = Limit + 1;
  for (const auto &C : Candidates) {
    llvm::StringRef Cand(C);
    unsigned D = Name.edit_distance(Cand, true, BestDist);
    if (D < BestDist && Cand != Name) {
      BestDist = D;
      Best = Cand.str();
    }
  }
  return Best;
}

/// "; did you mean 'x'?" or "".
inline std::string didYouMean(const std::optional<std::string> &Near) {
  return Near ? "; did you mean '" + *Near + "'?" : "";
}

} // namespace connectorc

#endif
