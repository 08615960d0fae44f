//===- StructuredAnswerTest.cpp - answers from a CLI's JSON output --------===//
#include "runtime/executor/StructuredAnswer.h"

#include <gtest/gtest.h>

using namespace connectorc::runtime;

namespace {
std::string answer(llvm::StringRef Output, llvm::StringRef Field = "result") {
  llvm::Expected<std::string> A = extractJsonAnswer(Output, Field);
  if (!A)
    return "error: " + llvm::toString(A.takeError());
  return *A;
}
} // namespace

TEST(StructuredAnswer, OneDocument) {
  EXPECT_EQ(
      answer(
          "  {\"type\":\"result\",\"result\":\"line 1\\nline \\\"2\\\"\"}\r\n"),
      "line 1\nline \"2\"");
  // A document spread over several lines is still one document.
  EXPECT_EQ(
      answer("{\n  \"response\": \"hi\",\n  \"stats\": {}\n}", "response"),
      "hi");
}

TEST(StructuredAnswer, JsonLinesTakeTheLastEventWithTheMember) {
  EXPECT_EQ(answer("{\"result\": \"early\"}\n"
                   "not json at all\n"
                   "{\"result\": \"late\"}\n"
                   "{\"type\": \"usage\"}\n"),
            "late");
  EXPECT_EQ(answer("{\"result\": \"only line\"}"), "only line");
}

TEST(StructuredAnswer, NoAnswerIsAnError) {
  EXPECT_EQ(answer("plain text"),
            "error: the output has no JSON object with a string 'result'");
  EXPECT_EQ(answer(""),
            "error: the output has no JSON object with a string 'result'");
  // The member must be a string.
  EXPECT_EQ(answer("{\"result\": 3}"),
            "error: the output has no JSON object with a string 'result'");
  EXPECT_EQ(answer("{\"result\": \"never closed\"\n"),
            "error: the output has no JSON object with a string 'result'");
}

TEST(StructuredAnswer, ArrayElementsAreDocuments) {
  EXPECT_EQ(answer("[{\"type\":\"system\"},{\"result\": \"in an array\"}]"),
            "in an array");
}

// Gemini CLI in a terminal: warnings before its pretty-printed JSON, and
// Codex-like noise after it.
TEST(StructuredAnswer, TextAroundTheDocumentIsSkipped) {
  EXPECT_EQ(answer("Warning: True color (24-bit) support not detected.\r\n"
                   "Ripgrep is not available. Falling back to GrepTool.\r\n"
                   "{\r\n  \"session_id\": \"s-1\",\r\n"
                   "  \"response\": \"FAKE {braces} [ok]\",\r\n"
                   "  \"stats\": {\"models\": {}}\r\n}\r\n"
                   "tokens used 22\r\n",
                   "response"),
            "FAKE {braces} [ok]");
  // A line that only looks like JSON does not stop the search.
  EXPECT_EQ(answer("{not json\n[INFO] starting\n{\"result\": \"x\"}"), "x");
}

TEST(StructuredAnswer, PointerAndWhere) {
  llvm::StringRef Codex =
      "{\"type\":\"thread.started\",\"thread_id\":\"t-9\"}\n"
      "{\"type\":\"item.completed\",\"item\":{\"type\":\"reasoning\","
      "\"text\":\"thinking\"}}\n"
      "{\"type\":\"item.completed\",\"item\":{\"type\":\"agent_message\","
      "\"text\":\"final\"}}\n"
      "{\"type\":\"item.completed\",\"item\":{\"type\":\"reasoning\","
      "\"text\":\"after\"}}\n"
      "{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":10,"
      "\"cached_input_tokens\":2,\"output_tokens\":5}}\n";
  connectorc::ir::EnvList Where = {{"/type", "item.completed"},
                                   {"/item/type", "agent_message"}};
  llvm::Expected<std::string> A = extractJsonAnswer(Codex, "/item/text", Where);
  ASSERT_TRUE(bool(A));
  EXPECT_EQ(*A, "final");
  EXPECT_EQ(answer(Codex, "/item/text"), "after");
  llvm::Expected<std::string> None =
      extractJsonAnswer(Codex, "/item/text", {{"/type", "nothing"}});
  ASSERT_FALSE(bool(None));
  EXPECT_EQ(llvm::toString(None.takeError()),
            "the output has no JSON object with a string at '/item/text' "
            "(among those answer_json_where selects)");
  // Escaped tokens: ~1 is '/', ~0 is '~'.
  EXPECT_EQ(answer("{\"a/b\": {\"c~d\": \"yes\"}}", "/a~1b/c~0d"), "yes");
  EXPECT_EQ(answer("{\"list\": [\"x\", \"y\"]}", "/list/1"), "y");
}

TEST(StructuredAnswer, Usage) {
  connectorc::ir::UsageFields F;
  F.InputTokens = "/usage/input_tokens";
  F.OutputTokens = "/usage/output_tokens";
  F.CostUsd = "/total_cost_usd";
  F.SessionId = "/session_id";
  AttemptUsage U = extractUsage(
      "noise\n{\"type\":\"result\",\"session_id\":\"abc\","
      "\"total_cost_usd\":0.0125,\"usage\":{\"input_tokens\":1000,"
      "\"output_tokens\":50}}\n",
      F);
  EXPECT_EQ(U.InputTokens, 1000);
  EXPECT_EQ(U.OutputTokens, 50);
  EXPECT_EQ(U.CostUsd, 0.0125);
  EXPECT_EQ(U.SessionId, "abc");
  // '*' sums over every member: Gemini's stats per model.
  connectorc::ir::UsageFields G;
  G.InputTokens = "/stats/models/*/tokens/prompt";
  AttemptUsage V = extractUsage(
      "{\"stats\":{\"models\":{\"a\":{\"tokens\":{\"prompt\":7}},"
      "\"b\":{\"tokens\":{\"prompt\":3}}}}}",
      G);
  EXPECT_EQ(V.InputTokens, 10);
  EXPECT_FALSE(V.OutputTokens);
  EXPECT_TRUE(extractUsage("{\"x\":1}", connectorc::ir::UsageFields{}).empty());
  EXPECT_TRUE(extractUsage("no json", F).empty());
}

// Lines of brackets that never close: each line used to be parsed to the end
// of the output again, which took minutes for 40 KB (seen while writing the
// answer fuzz target, docs/fuzzing.md). A value that does close in there is
// still a document.
TEST(StructuredAnswer, UnclosedBracketLinesAreSkippedNotReparsed) {
  std::string Output;
  for (int I = 0; I < 20000; ++I)
    Output += I % 2 ? "[\n" : "  {\"a\":\n";
  EXPECT_EQ(answer(Output + "{\"result\": \"inside\"}\n"), "inside");
  EXPECT_EQ(answer(Output + "[{\"result\": \"element\"}]"), "element");
  EXPECT_EQ(answer(Output),
            "error: the output has no JSON object with a string 'result'");
  // Closed values inside an unclosed one, on lines of their own.
  EXPECT_EQ(answer("[\n{\"result\": \"first\"},\n{\"result\": \"second\"},\n"),
            "second");
  EXPECT_EQ(answer("{\"x\": [\n{\"result\": \"nested\"}\n"), "nested");
}
