//===- PatternSize.cpp - how big a POSIX ERE becomes when compiled --------===//
#include "ir/PatternSize.h"

#include "ir/Fmt.h"

#include <limits>
#include <vector>

using namespace connectorc;

namespace {
std::uint64_t mul(std::uint64_t A, std::uint64_t B) {
  std::uint64_t Max = std::numeric_limits<std::uint64_t>::max();
  return A && B > Max / A ? Max : A * B;
}

std::uint64_t add(std::uint64_t A, std::uint64_t B) {
  std::uint64_t Max = std::numeric_limits<std::uint64_t>::max();
  return B > Max - A ? Max : A + B;
}

/// One group being read: the atoms so far, and the last one (which a
/// following count repeats).
struct Group {
  std::uint64_t Total = 0, Last = 0;
  void atom(std::uint64_t N) {
    Total = add(Total, N);
    Last = N;
  }
};

/// The end of the bracket expression starting at \p I ('['), past its ']'.
size_t bracketEnd(llvm::StringRef P, size_t I) {
  size_t J = I + 1;
  if (J < P.size() && P[J] == '^')
    ++J;
  if (J < P.size() && P[J] == ']') // a leading ']' is a member
    ++J;
  while (J < P.size() && P[J] != ']') {
    if (P[J] == '[' && J + 1 < P.size() &&
        (P[J + 1] == ':' || P[J + 1] == '.' || P[J + 1] == '=')) {
      const char Close[] = {P[J + 1], ']', '\0'};
      size_t E = P.find(Close, J + 2);
      J = E == llvm::StringRef::npos ? P.size() : E + 2;
    } else {
      ++J;
    }
  }
  return std::min(J + 1, P.size());
}

/// How many copies the count at \p I ("{m}", "{m,}", "{m,n}") makes, and the
/// index past it; std::nullopt when there is no count there.
std::optional<std::pair<std::uint64_t, size_t>> count(llvm::StringRef P,
                                                      size_t I) {
  size_t Close = P.find('}', I);
  if (Close == llvm::StringRef::npos)
    return std::nullopt;
  auto [Min, Max] = P.slice(I + 1, Close).split(',');
  std::uint64_t M = 0, N = 0;
  if (Min.getAsInteger(10, M))
    return std::nullopt;
  bool HasComma = P.slice(I + 1, Close).contains(',');
  if (!HasComma)
    N = M;
  else if (Max.empty())
    N = M + 1; // m copies and a star
  else if (Max.getAsInteger(10, N))
    return std::nullopt;
  return std::make_pair(std::max<std::uint64_t>({M, N, 1}), Close + 1);
}
} // namespace

std::uint64_t connectorc::patternCopies(llvm::StringRef P) {
  std::vector<Group> Stack(1);
  for (size_t I = 0; I < P.size();) {
    char C = P[I];
    if (C == '\\') {
      Stack.back().atom(1);
      I += 2;
    } else if (C == '[') {
      Stack.back().atom(1);
      I = bracketEnd(P, I);
    } else if (C == '(') {
      Stack.emplace_back();
      ++I;
    } else if (C == ')' && Stack.size() > 1) {
      std::uint64_t Inner = std::max<std::uint64_t>(Stack.back().Total, 1);
      Stack.pop_back();
      Stack.back().atom(Inner);
      ++I;
    } else if (C == '{' && count(P, I)) {
      auto [N, Next] = *count(P, I);
      Group &G = Stack.back();
      std::uint64_t Repeated = mul(G.Last, N);
      G.Total = add(G.Total - G.Last, Repeated);
      G.Last = Repeated;
      I = Next;
    } else {
      if (C != '|' && C != '*' && C != '+' && C != '?')
        Stack.back().atom(1);
      ++I;
    }
  }
  while (Stack.size() > 1) { // unclosed groups: regcomp rejects them anyway
    std::uint64_t Inner = Stack.back().Total;
    Stack.pop_back();
    Stack.back().atom(Inner);
  }
  return Stack.back().Total;
}

std::optional<std::string> connectorc::patternTooLarge(llvm::StringRef P) {
  std::uint64_t N = patternCopies(P);
  if (N <= MaxPatternCopies)
    return std::nullopt;
  return fmt::format("its counted repetitions ({{m,n}}) multiply to {} "
                     "copies when compiled, more than {}",
                     N == std::numeric_limits<std::uint64_t>::max()
                         ? std::string("over 10^19")
                         : std::to_string(N),
                     MaxPatternCopies);
}
