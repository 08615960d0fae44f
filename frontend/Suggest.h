//===- Suggest.h - "did you mean" ---------------------------------*- C++ -*-===//
#ifndef CONNECTORC_FRONTEND_SUGGEST_H
#define CONNECTORC_FRONTEND_SUGGEST_H

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <vector>

namespace connectorc {

/// The candidate closest to \p Name by edit distance, if one is close enough
/// to be a plausible typo (at most a third of the name's length, min. 1, max. 3).
template <typename Range>
std::optional<std::string> nearestName(llvm::StringRef Name,
                                       const Range &Candidates) {
  unsigned Limit = std::max<unsigned>(1, std::min<unsigned>(3, Name.size() / 3));
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
