//===- FakeMcp.h - an MCP server of made-up tools ---------------*- C++ -*-===//
//
// The protocol layer of `connectorc mcp` (runtime/server/Mcp.h) with two
// tools that need no run, for its unit tests (McpTest.cpp) and its fuzz
// target (test/fuzz/McpFuzzer.cpp): "echo" has an argument of every kind
// and an output schema, "fail" always fails.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_TEST_UNIT_FAKEMCP_H
#define CONNECTORC_TEST_UNIT_FAKEMCP_H

#include "runtime/server/Mcp.h"

namespace connectorc::runtime {

/// A server of two tools: "echo" (its text back, structured) and "fail"
/// (always a tool error).
inline McpServer makeFakeMcpServer() {
  McpTool Echo;
  Echo.Name = "echo";
  Echo.Title = "Echo";
  Echo.Description = "Says it back";
  McpArg Text;
  Text.Name = "text";
  Text.Description = "what to say";
  Text.Required = true;
  McpArg Times;
  Times.Name = "times";
  Times.Kind = McpArgKind::Integer;
  Times.Description = "how often";
  Times.Minimum = 1;
  Times.Maximum = 3;
  McpArg Mood;
  Mood.Name = "mood";
  Mood.Description = "how";
  Mood.Enum = {"calm", "loud"};
  McpArg Tags;
  Tags.Name = "tags";
  Tags.Kind = McpArgKind::StringArray;
  Tags.Description = "labels";
  Echo.Args = {Text, Times, Mood, Tags};
  Echo.OutputSchema = mcpSchema(R"({"type": "object", "properties": {
      "said": {"type": "string"}}, "required": ["said"]})");
  Echo.ReadOnly = true;
  Echo.Call = [](const llvm::json::Object &Args) {
    std::string Said;
    for (int64_t I = 0; I < Args.getInteger("times").getValueOr(1); ++I)
      Said += Args.getString("text").getValueOr("").str();
    return McpToolResult::structured(llvm::json::Object{{"said", Said}});
  };
  McpTool Fail;
  Fail.Name = "fail";
  Fail.Title = "Fail";
  Fail.Description = "Always fails";
  Fail.Call = [](const llvm::json::Object &) {
    return McpToolResult::error("it failed, as it always does");
  };
  return McpServer("1.2.3", "use echo", {Echo, Fail});
}

} // namespace connectorc::runtime

#endif
