//===- ModelRefTest.cpp - model reference strings -------------------------===//
#include "ir/ModelRef.h"

#include "llvm/ADT/STLExtras.h"

#include <gtest/gtest.h>

using namespace connectorc;

namespace {
std::optional<ModelRef> parse(llvm::StringRef Text, bool &Bad) {
  Bad = true; // parseModelRef must reset it
  return parseModelRef(Text, &Bad);
}
} // namespace

TEST(ModelRef, Shorthands) {
  bool Bad;
  struct {
    const char *Text, *Provider, *Model;
  } Cases[] = {{"claude", "claude", ""}, {"codex", "codex", ""},
               {"gemini", "gemini", ""}, {"aider", "aider", ""},
               {"sim", "sim", ""},       {"haiku", "claude", "haiku"},
               {"sonnet", "claude", "sonnet"},
               {"opus", "claude", "opus"}};
  for (const auto &C : Cases) {
    std::optional<ModelRef> R = parse(C.Text, Bad);
    ASSERT_TRUE(R) << C.Text;
    EXPECT_EQ(*R, (ModelRef{C.Provider, C.Model})) << C.Text;
    EXPECT_FALSE(Bad) << C.Text;
  }
  for (llvm::StringRef S : knownModelShorthands())
    EXPECT_TRUE(parseModelRef(S)) << S.str();
}

TEST(ModelRef, ProviderSlashModel) {
  bool Bad;
  EXPECT_EQ(parse("ollama/llama3", Bad), (ModelRef{"ollama", "llama3"}));
  EXPECT_FALSE(Bad);
  EXPECT_EQ(parse("claude/claude-3-5-sonnet", Bad),
            (ModelRef{"claude", "claude-3-5-sonnet"}));
  // Only the first '/' separates: the model may contain more.
  EXPECT_EQ(parse("ollama/library/qwen:7b", Bad),
            (ModelRef{"ollama", "library/qwen:7b"}));
  EXPECT_EQ(parse("sim/x", Bad), (ModelRef{"sim", "x"}));
}

TEST(ModelRef, Str) {
  EXPECT_EQ((ModelRef{"claude", ""}).str(), "claude");
  EXPECT_EQ((ModelRef{"ollama", "llama3"}).str(), "ollama/llama3");
  EXPECT_EQ(parseModelRef("haiku")->str(), "claude/haiku");
}

TEST(ModelRef, UnknownProviderIsFlagged) {
  bool Bad;
  EXPECT_FALSE(parse("openai/gpt-4", Bad));
  EXPECT_TRUE(Bad);
  EXPECT_FALSE(parse("Claude/opus", Bad)); // names are case-sensitive
  EXPECT_TRUE(Bad);
  EXPECT_FALSE(parseModelRef("openai/gpt-4")); // the flag is optional
}

TEST(ModelRef, NotAReference) {
  bool Bad;
  for (const char *Text : {"", "gpt4", "ollama", "custom", "claude/", "/opus",
                           "/", "Claude", "haiku "}) {
    EXPECT_FALSE(parse(Text, Bad)) << Text;
    EXPECT_FALSE(Bad) << Text; // not of the provider/model form
  }
}

TEST(ModelRef, CustomIsRejectedAsString) {
  // "custom" is a provider only for object references with a command.
  EXPECT_TRUE(isKnownProvider("custom"));
  EXPECT_TRUE(llvm::is_contained(knownProviders(), "custom"));
  bool Bad;
  EXPECT_FALSE(parse("custom/anything", Bad));
  EXPECT_FALSE(Bad);
  EXPECT_FALSE(parse("custom", Bad));
  EXPECT_FALSE(Bad);
}

TEST(ModelRef, KnownProviders) {
  for (llvm::StringRef P : {"claude", "codex", "gemini", "aider", "ollama", "sim"})
    EXPECT_TRUE(isKnownProvider(P)) << P.str();
  EXPECT_FALSE(isKnownProvider("haiku")); // a shorthand, not a provider
  EXPECT_FALSE(isKnownProvider(""));
}

// The tables are process-wide: these names are the test's own, so other
// tests see the built-in meanings.
TEST(ModelRef, UserProviderAndShorthands) {
  bool Bad;
  EXPECT_FALSE(parse("unit-tool", Bad));
  addKnownProvider("unit-tool");
  EXPECT_EQ(parse("unit-tool", Bad), (ModelRef{"unit-tool", ""}));
  EXPECT_EQ(parse("unit-tool/big", Bad), (ModelRef{"unit-tool", "big"}));
  EXPECT_FALSE(Bad);
  addModelShorthand("unit-house", "unit-tool", "big");
  EXPECT_EQ(parse("unit-house", Bad), (ModelRef{"unit-tool", "big"}));
  addModelShorthand("unit-house", "codex", "gpt-x"); // a redirect
  EXPECT_EQ(parse("unit-house", Bad), (ModelRef{"codex", "gpt-x"}));
  EXPECT_EQ(llvm::count(knownModelShorthands(), "unit-house"), 1);
}
