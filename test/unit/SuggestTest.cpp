//===- SuggestTest.cpp - "did you mean" thresholds -------------------------===//
#include "frontend/Suggest.h"

#include "llvm/ADT/ArrayRef.h"

#include <gtest/gtest.h>

using namespace connectorc;

namespace {
const std::vector<std::string> Keys = {"prompt",     "model",   "name",
                                       "depends_on", "workers", "scratchpad",
                                       "run"};

std::string near(llvm::StringRef Name) {
  return nearestName(Name, Keys).value_or("<none>");
}
} // namespace

TEST(Suggest, OneEditUpToFourLetters) {
  EXPECT_EQ(near("nme"), "name");
  EXPECT_EQ(near("nam"), "name");
  EXPECT_EQ(near("nmae"), "<none>"); // a swap costs 2
  EXPECT_EQ(near("xyz"), "<none>");
}

TEST(Suggest, NoneForOneOrTwoLetters) {
  EXPECT_EQ(near("rn"), "<none>");
  EXPECT_EQ(near("ru"), "<none>");
  EXPECT_EQ(near("n"), "<none>");
  EXPECT_EQ(near(""), "<none>");
  std::vector<std::string> Short = {"a", "b", "x1", "ab"};
  EXPECT_EQ(nearestName("c", Short).value_or("<none>"), "<none>");
  EXPECT_EQ(nearestName("x2", Short).value_or("<none>"), "<none>");
  EXPECT_EQ(nearestName("abc", Short).value_or("<none>"), "ab");
}

TEST(Suggest, TwoEditsUpToEightLetters) {
  EXPECT_EQ(near("promt"), "prompt");
  EXPECT_EQ(near("modle"), "model");   // swap
  EXPECT_EQ(near("pormpt"), "prompt"); // swap
  EXPECT_EQ(near("wrkrs"), "workers");
  EXPECT_EQ(near("mdl"), "<none>");    // 3 letters allow 1 edit
  EXPECT_EQ(near("prxxxt"), "<none>"); // 3 edits
}

TEST(Suggest, ThreeEditsFromNineLetters) {
  EXPECT_EQ(near("dpends_o"), "depends_on");    // 8 letters, 2 edits
  EXPECT_EQ(near("dxpxnds_x"), "<none>");       // 9 letters, 4 edits
  EXPECT_EQ(near("scrxtchxxd"), "scratchpad");  // 10 letters, 3 edits
  EXPECT_EQ(near("sxrxtxhxad"), "<none>");      // 4 edits
  EXPECT_EQ(near("dpnds_on"), "depends_on");    // 8 letters, 2 edits
  EXPECT_EQ(near("dpnds_onn"), "depends_on");   // 9 letters, 3 edits
}

TEST(Suggest, ExactNameIsNotSuggested) {
  EXPECT_EQ(near("model"), "<none>");
  std::vector<std::string> Both = {"model", "models"};
  EXPECT_EQ(nearestName("model", Both).value_or("<none>"), "models");
}

TEST(Suggest, FirstOfEqualCandidatesWins) {
  std::vector<std::string> Cands = {"bat", "hat", "cab"};
  EXPECT_EQ(nearestName("cat", Cands).value_or(""), "bat");
}

TEST(Suggest, CaseMatters) {
  EXPECT_EQ(near("Name"), "name"); // one replacement
  EXPECT_EQ(near("NAME"), "<none>");
}

TEST(Suggest, AnyRangeOfStrings) {
  static const llvm::StringRef Refs[] = {"claude", "codex", "gemini"};
  EXPECT_EQ(nearestName("cladue", llvm::ArrayRef<llvm::StringRef>(Refs))
                .value_or(""),
            "claude");
  EXPECT_FALSE(nearestName("x", std::vector<std::string>{}));
}

TEST(Suggest, DidYouMean) {
  EXPECT_EQ(didYouMean(std::nullopt), "");
  EXPECT_EQ(didYouMean(std::string("prompt")), "; did you mean 'prompt'?");
  EXPECT_EQ(didYouMean(nearestName("promt", Keys)),
            "; did you mean 'prompt'?");
}
