//===- TomlQuoteTest.cpp - every string survives the TOML quoting ---------===//
//
// tomlString and tomlKey over the adversarial corpus, read back byte for byte
// by Python's tomllib (an independent TOML 1.0 parser); the escapes TOML
// requires, spelled out; and codex's MCP overrides built from them.
//
//===----------------------------------------------------------------------===//
#include "AdversarialCorpus.h"

#include "ir/Mcp.h"
#include "ir/TomlQuote.h"

#include "llvm/ADT/StringRef.h"

#include <gtest/gtest.h>

using namespace connectorc;

namespace {

/// The corpus as one TOML document: every string as an element of
/// `strings` and as a key of `[keys]` whose value is its index.
std::string document(const std::vector<std::string> &Strings) {
  std::string Doc = "strings = [\n";
  for (const std::string &S : Strings)
    Doc += "  " + tomlString(S) + ",\n";
  Doc += "]\n[keys]\n";
  for (size_t I = 0; I < Strings.size(); ++I)
    Doc += tomlKey(Strings[I]) + " = " + std::to_string(I) + "\n";
  return Doc;
}

TEST(TomlQuoteTest, TomllibReadsEveryStringAndKeyBack) {
  std::vector<std::string> Strings = test::adversarialCorpus();
  ASSERT_EQ(Strings.size(), 151u);
  const char *Check =
      "import sys, tomllib\n"
      "got = tomllib.load(open(sys.argv[1], 'rb'))\n"
      "want = [bytes.fromhex(l.strip()) for l in open(sys.argv[2])]\n"
      "strs = got['strings']\n"
      "keys = {v: k for k, v in got['keys'].items()}\n"
      "assert len(strs) == len(want) == len(keys), (len(strs), len(keys))\n"
      "bad = [i for i, w in enumerate(want)"
      " if strs[i].encode() != w or keys[i].encode() != w]\n"
      "print('mismatches:', bad)\n"
      "sys.exit(1 if bad else 0)\n";
  test::expectPythonReadsBack(Check, document(Strings), Strings);
}

TEST(TomlQuoteTest, EscapesWhatTomlForbids) {
  EXPECT_EQ(tomlString(""), "\"\"");
  EXPECT_EQ(tomlString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(tomlString("\b\t\n\f\r"), "\"\\b\\t\\n\\f\\r\"");
  EXPECT_EQ(tomlString(llvm::StringRef("\0\x1b\x7f", 3)),
            "\"\\u0000\\u001B\\u007F\"");
  EXPECT_EQ(tomlString("${HOME} 'x' \xc3\xa9"), "\"${HOME} 'x' \xc3\xa9\"");
}

TEST(TomlQuoteTest, KeysAreBareOnlyWhenTheyMayBe) {
  EXPECT_EQ(tomlKey("API_TOKEN"), "API_TOKEN");
  EXPECT_EQ(tomlKey("my-server2"), "my-server2");
  EXPECT_EQ(tomlKey("a.b"), "\"a.b\"");
  EXPECT_EQ(tomlKey(""), "\"\"");
  EXPECT_EQ(tomlKey("a b"), "\"a b\"");
  EXPECT_FALSE(isBareTomlKey("\xc3\xa9"));
}

ir::McpServer server(std::string Name, std::vector<std::string> Args,
                     ir::EnvList Env) {
  return {std::move(Name), "/opt/mcp", std::move(Args), std::move(Env)};
}

TEST(CodexMcpArgsTest, ReferencesAreForwardedByName) {
  ir::CodexMcpArgs C = ir::codexMcpArgs({server(
      "s", {"--x", "a\"b"}, {{"TOKEN", "${TOKEN}"}, {"MODE", "fast"}})});
  EXPECT_TRUE(C.Skipped.empty());
  ASSERT_EQ(C.Argv.size(), 2u);
  EXPECT_EQ(C.Argv[0], "-c");
  EXPECT_EQ(C.Argv[1],
            "mcp_servers.s={command = \"/opt/mcp\", args = [\"--x\", "
            "\"a\\\"b\"], env = {MODE = \"fast\"}, env_vars = [\"TOKEN\"]}");
}

TEST(CodexMcpArgsTest, WhatCodexCannotTakeIsSkipped) {
  ir::CodexMcpArgs C = ir::codexMcpArgs(
      {server("a.b", {}, {}), server("arg", {"${DB}"}, {}),
       server("renamed", {}, {{"TOKEN", "${OTHER}"}}),
       server("ok", {}, {})});
  ASSERT_EQ(C.Skipped.size(), 3u);
  EXPECT_TRUE(llvm::StringRef(C.Skipped[0]).startswith("server 'a.b': "));
  EXPECT_TRUE(llvm::StringRef(C.Skipped[1]).startswith("server 'arg': "));
  EXPECT_TRUE(llvm::StringRef(C.Skipped[2]).startswith("server 'renamed': "));
  ASSERT_EQ(C.Argv.size(), 2u);
  EXPECT_EQ(C.Argv[1], "mcp_servers.ok={command = \"/opt/mcp\", args = []}");
}

TEST(CodexMcpArgsTest, WellKnownServersAreResolved) {
  ir::CodexMcpArgs C = ir::codexMcpArgs({{"github", "", {}, {}}});
  ASSERT_EQ(C.Argv.size(), 2u);
  EXPECT_EQ(C.Argv[1],
            "mcp_servers.github={command = \"npx\", args = [\"-y\", "
            "\"@modelcontextprotocol/server-github\"], env_vars = "
            "[\"GITHUB_PERSONAL_ACCESS_TOKEN\"]}");
}

} // namespace
