//===- CredentialPathTest.cpp - credential_files entries as paths ---------===//
#include "passes/Registry.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

using namespace connectorc;

namespace {
/// expandCredentialPath with \p Env as the whole environment.
std::optional<std::string> expand(llvm::StringRef Entry,
                                  const std::map<std::string, std::string> &Env,
                                  llvm::StringRef Home = "/home/u") {
  return expandCredentialPath(
      Entry, Home, [&](llvm::StringRef Name) -> std::optional<std::string> {
        auto It = Env.find(Name.str());
        if (It == Env.end())
          return std::nullopt;
        return It->second;
      });
}
} // namespace

TEST(CredentialPath, HomeAndAbsolute) {
  EXPECT_EQ(expand("~/.claude/.credentials.json", {}),
            "/home/u/.claude/.credentials.json");
  EXPECT_EQ(expand("~", {}), "/home/u");
  EXPECT_EQ(expand("/etc/agent/key.json", {}), "/etc/agent/key.json");
  // No home directory: the entry names no file.
  EXPECT_EQ(expand("~/.gemini/oauth_creds.json", {}, ""), std::nullopt);
  // "~user" is not expanded (the schema does not allow it).
  EXPECT_EQ(expand("~other/x", {}), "~other/x");
}

TEST(CredentialPath, Variable) {
  EXPECT_EQ(expand("$CODEX_HOME/auth.json", {{"CODEX_HOME", "/srv/codex"}}),
            "/srv/codex/auth.json");
  EXPECT_EQ(expand("$CODEX_HOME", {{"CODEX_HOME", "/srv/codex"}}),
            "/srv/codex");
  // Unset or empty, with no default: no file.
  EXPECT_EQ(expand("$CODEX_HOME/auth.json", {}), std::nullopt);
  EXPECT_EQ(expand("$CODEX_HOME/auth.json", {{"CODEX_HOME", ""}}),
            std::nullopt);
  EXPECT_EQ(expand("${CODEX_HOME}/auth.json", {}), std::nullopt);
}

TEST(CredentialPath, VariableWithDefault) {
  const char *Entry = "${CODEX_HOME:-~/.codex}/auth.json";
  EXPECT_EQ(expand(Entry, {{"CODEX_HOME", "/srv/codex"}}),
            "/srv/codex/auth.json");
  EXPECT_EQ(expand(Entry, {}), "/home/u/.codex/auth.json");
  EXPECT_EQ(expand(Entry, {{"CODEX_HOME", ""}}), "/home/u/.codex/auth.json");
  EXPECT_EQ(expand("${X:-/opt/x}/k", {}), "/opt/x/k");
  // A default under "~" with no home directory: no file.
  EXPECT_EQ(expand(Entry, {}, ""), std::nullopt);
}

TEST(CredentialPath, BuiltinEntries) {
  // The built-in registry alone: no user file is looked up under here.
  ::setenv("XDG_CONFIG_HOME", "/nonexistent/connectorc-test", 1);
  llvm::SourceMgr SM;
  DiagnosticEngine Diags(SM);
  std::optional<ProviderRegistry> R = ProviderRegistry::load("", Diags);
  ASSERT_TRUE(R);
  auto Files = [&](llvm::StringRef Name) {
    const Provider *P = R->find(Name);
    return P ? P->CredentialFiles : std::vector<std::string>{"(none)"};
  };
  EXPECT_EQ(Files("claude"),
            std::vector<std::string>{"~/.claude/.credentials.json"});
  EXPECT_EQ(Files("gemini"),
            std::vector<std::string>{"~/.gemini/oauth_creds.json"});
  ASSERT_EQ(Files("codex").size(), 1u);
  EXPECT_EQ(expand(Files("codex").front(), {}), "/home/u/.codex/auth.json");
  EXPECT_EQ(expand(Files("codex").front(), {{"CODEX_HOME", "/c"}}),
            "/c/auth.json");
  EXPECT_TRUE(Files("sim").empty());
  EXPECT_TRUE(Files("ollama").empty());
}
