//===- StructuredAnswerTest.cpp - answers from a CLI's JSON output --------===//
#include "runtime/StructuredAnswer.h"

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
  EXPECT_EQ(answer("[{\"result\": \"in an array\"}]"),
            "error: the output has no JSON object with a string 'result'");
}
