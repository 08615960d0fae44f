//===- McpTest.cpp - the MCP server's protocol layer ----------------------===//
#include "FakeMcp.h"
#include "runtime/support/JsonText.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <thread>
#include <unistd.h>

using namespace connectorc::runtime;
namespace json = llvm::json;

namespace {
/// The answer to \p Line, parsed; null when there was none.
json::Value ask(McpServer &S, llvm::StringRef Line) {
  std::optional<std::string> A = S.handleLine(Line);
  if (!A)
    return nullptr;
  EXPECT_EQ(A->find('\n'), std::string::npos) << *A;
  llvm::Expected<json::Value> V = json::parse(*A);
  if (!V) {
    ADD_FAILURE() << llvm::toString(V.takeError()) << " in " << *A;
    return nullptr;
  }
  EXPECT_EQ(V->getAsObject()->getString("jsonrpc"), llvm::StringRef("2.0"));
  return std::move(*V);
}

/// The error code of answer \p V (0 when it is a result).
int64_t code(const json::Value &V) {
  const json::Object *E = V.getAsObject()->getObject("error");
  return E ? E->getInteger("code").getValueOr(1) : 0;
}

const json::Object &result(const json::Value &V) {
  static const json::Object None;
  const json::Object *R = V.getAsObject()->getObject("result");
  EXPECT_TRUE(R) << toJsonText(V);
  return R ? *R : None;
}

std::string initialize(llvm::StringRef Version = "2025-06-18") {
  return (R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{)"
          R"("protocolVersion":")" +
          Version +
          R"(","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})")
      .str();
}

McpServer initialized(llvm::StringRef Version = "2025-06-18") {
  McpServer S = makeFakeMcpServer();
  ask(S, initialize(Version));
  EXPECT_FALSE(S.handleLine(
      R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
  EXPECT_TRUE(S.initialized());
  return S;
}

std::string call(llvm::StringRef Tool, llvm::StringRef Args) {
  return (R"({"jsonrpc":"2.0","id":"c","method":"tools/call","params":{)"
          R"("name":")" +
          Tool + R"(","arguments":)" + Args + "}}")
      .str();
}
} // namespace

TEST(McpTest, InitializeAgreesOnAVersion) {
  McpServer S = makeFakeMcpServer();
  json::Value A = ask(S, initialize("2025-06-18"));
  const json::Object &R = result(A);
  EXPECT_EQ(A.getAsObject()->getInteger("id").getValueOr(-1), 0);
  EXPECT_EQ(R.getString("protocolVersion"), llvm::StringRef("2025-06-18"));
  EXPECT_EQ(R.getObject("serverInfo")->getString("version"),
            llvm::StringRef("1.2.3"));
  EXPECT_TRUE(R.getObject("capabilities")->getObject("tools"));
  EXPECT_EQ(R.getString("instructions"), llvm::StringRef("use echo"));
  // Asked again: refused, and the version stays.
  EXPECT_EQ(code(ask(S, initialize("2025-11-25"))), -32600);
  EXPECT_EQ(S.protocolVersion(), "2025-06-18");

  // A version not spoken here: the newest one is offered.
  McpServer Old = makeFakeMcpServer();
  EXPECT_EQ(result(ask(Old, initialize("2024-11-05")))
                .getString("protocolVersion"),
            llvm::StringRef(McpProtocolVersions[0]));
  McpServer NoVersion = makeFakeMcpServer();
  EXPECT_EQ(code(ask(NoVersion,
                     R"({"jsonrpc":"2.0","id":1,"method":"initialize",)"
                     R"("params":{}})")),
            -32602);
}

TEST(McpTest, ToolsWaitForInitializeButPingDoesNot) {
  McpServer S = makeFakeMcpServer();
  EXPECT_EQ(code(ask(S, R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})")),
            -32600);
  json::Value P = ask(S, R"({"jsonrpc":"2.0","id":"p","method":"ping"})");
  EXPECT_EQ(code(P), 0);
  EXPECT_EQ(P.getAsObject()->getString("id"), llvm::StringRef("p"));
}

TEST(McpTest, ToolsListHasSchemas) {
  McpServer S = initialized();
  json::Value A = ask(S, R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})");
  const json::Array *Tools = result(A).getArray("tools");
  ASSERT_TRUE(Tools);
  ASSERT_EQ(Tools->size(), 2u);
  const json::Object &Echo = *(*Tools)[0].getAsObject();
  EXPECT_EQ(Echo.getString("name"), llvm::StringRef("echo"));
  const json::Object *In = Echo.getObject("inputSchema");
  ASSERT_TRUE(In);
  EXPECT_EQ(In->getString("type"), llvm::StringRef("object"));
  EXPECT_FALSE(In->getBoolean("additionalProperties").getValueOr(true));
  EXPECT_EQ(*In->getArray("required"), json::Array{"text"});
  const json::Object *Times =
      In->getObject("properties")->getObject("times");
  EXPECT_EQ(Times->getString("type"), llvm::StringRef("integer"));
  EXPECT_EQ(Times->getInteger("maximum").getValueOr(-1), 3);
  EXPECT_EQ(*In->getObject("properties")->getObject("mood")->getArray("enum"),
            (json::Array{"calm", "loud"}));
  EXPECT_EQ(In->getObject("properties")
                ->getObject("tags")
                ->getObject("items")
                ->getString("type"),
            llvm::StringRef("string"));
  EXPECT_TRUE(Echo.getObject("outputSchema"));
  EXPECT_TRUE(Echo.getObject("annotations")->getBoolean("readOnlyHint").getValueOr(false));
  const json::Object &Fail = *(*Tools)[1].getAsObject();
  EXPECT_FALSE(Fail.getObject("outputSchema"));
  EXPECT_FALSE(Fail.getObject("inputSchema")->get("required"));
  // No cursor is ever given out, so none is valid.
  EXPECT_EQ(code(ask(S, R"({"jsonrpc":"2.0","id":3,"method":"tools/list",)"
                        R"("params":{"cursor":"x"}})")),
            -32602);
}

TEST(McpTest, ToolCallResults) {
  McpServer S = initialized();
  json::Value A = ask(S, call("echo", R"({"text":"hi","times":2})"));
  const json::Object &R = result(A);
  EXPECT_EQ(A.getAsObject()->getString("id"), llvm::StringRef("c"));
  EXPECT_EQ(R.getObject("structuredContent")->getString("said"),
            llvm::StringRef("hihi"));
  const json::Object &Text = *(*R.getArray("content"))[0].getAsObject();
  EXPECT_EQ(Text.getString("type"), llvm::StringRef("text"));
  EXPECT_EQ(Text.getString("text"), llvm::StringRef(R"({"said":"hihi"})"));
  EXPECT_FALSE(R.get("isError"));

  // A tool that fails is a result the model reads, not a protocol error.
  json::Value F = ask(S, call("fail", "{}"));
  EXPECT_TRUE(result(F).getBoolean("isError").getValueOr(false));
  EXPECT_FALSE(result(F).get("structuredContent"));
  // Arguments left out are an empty object.
  EXPECT_EQ(code(ask(S, R"({"jsonrpc":"2.0","id":1,"method":"tools/call",)"
                        R"("params":{"name":"fail"}})")),
            0);
}

TEST(McpTest, BadArgumentsIn2025_06_18AreProtocolErrors) {
  McpServer S = initialized("2025-06-18");
  for (llvm::StringRef Args :
       {R"({})", R"({"text":1})", R"({"text":"a","times":4})",
        R"({"text":"a","times":1.5})", R"({"text":"a","mood":"sad"})",
        R"({"text":"a","tags":["x",2]})", R"({"text":"a","colour":"red"})",
        R"({"text":null})"}) {
    json::Value A = ask(S, call("echo", Args));
    EXPECT_EQ(code(A), -32602) << Args.str();
  }
  json::Value A = ask(S, call("echo", R"({"text":"a","colour":"red"})"));
  EXPECT_TRUE(A.getAsObject()
                ->getObject("error")
                ->getString("message")->contains("unknown argument 'colour'"));
}

TEST(McpTest, BadArgumentsLaterAreToolErrors) {
  McpServer S = initialized("2025-11-25");
  json::Value A = ask(S, call("echo", R"({"times":2})"));
  EXPECT_TRUE(result(A).getBoolean("isError").getValueOr(false));
  EXPECT_TRUE((*result(A).getArray("content"))[0].getAsObject()->getString("text")->contains("needs the argument 'text'"));
}

TEST(McpTest, ProtocolErrors) {
  McpServer S = initialized();
  // An unknown tool, a call without a name, arguments that are no object.
  EXPECT_EQ(code(ask(S, call("nope", "{}"))), -32602);
  EXPECT_EQ(code(ask(S, R"({"jsonrpc":"2.0","id":1,"method":"tools/call",)"
                        R"("params":{}})")),
            -32602);
  EXPECT_EQ(code(ask(S, call("echo", "[]"))), -32602);
  EXPECT_EQ(code(ask(S, R"({"jsonrpc":"2.0","id":1,"method":"tools/call",)"
                        R"("params":[1]})")),
            -32602);
  // Methods that are not this server's.
  EXPECT_EQ(code(ask(S, R"({"jsonrpc":"2.0","id":1,"method":"resources/list"})")),
            -32601);
  // Not JSON, not an object, a batch, no version, a bad id, no method.
  for (llvm::StringRef Line :
       {"{", "not json", R"({"jsonrpc":"2.0","id":1,"method":)", "\xff\xfe"}) {
    json::Value A = ask(S, Line);
    EXPECT_EQ(code(A), -32700) << Line.str();
    EXPECT_EQ(*A.getAsObject()->get("id"), json::Value(nullptr));
  }
  EXPECT_EQ(code(ask(S, "42")), -32600);
  EXPECT_EQ(code(ask(S, R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])")),
            -32600);
  EXPECT_EQ(code(ask(S, "[]")), -32600);
  json::Value V = ask(S, R"({"jsonrpc":"1.0","id":7,"method":"ping"})");
  EXPECT_EQ(code(V), -32600);
  EXPECT_EQ(V.getAsObject()->getInteger("id").getValueOr(-1), 7);
  EXPECT_EQ(code(ask(S, R"({"jsonrpc":"2.0","id":null,"method":"ping"})")),
            -32600);
  EXPECT_EQ(code(ask(S, R"({"jsonrpc":"2.0","id":{},"method":"ping"})")),
            -32600);
  EXPECT_EQ(code(ask(S, R"({"jsonrpc":"2.0","id":1,"method":5})")), -32600);
  EXPECT_EQ(code(ask(S, R"({"jsonrpc":"2.0","id":1})")), -32600);
  // Nesting past the limit is refused before it is parsed.
  std::string Deep(100000, '[');
  EXPECT_EQ(code(ask(S, Deep)), -32700);
  std::string Fine = R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":)" +
                     std::string(20, '[') + std::string(20, ']') + "}}";
  EXPECT_EQ(code(ask(S, Fine)), 0);
  // Brackets inside strings do not count.
  EXPECT_EQ(code(ask(S, call("echo", R"({"text":")" + std::string(200, '[') +
                                         R"("})"))),
            0);
}

TEST(McpTest, NotificationsAndResponsesGetNoAnswer) {
  McpServer S = initialized();
  EXPECT_FALSE(S.handleLine(""));
  EXPECT_FALSE(S.handleLine("  \r"));
  EXPECT_FALSE(S.handleLine(
      R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}})"));
  EXPECT_FALSE(S.handleLine(R"({"jsonrpc":"2.0","method":"tools/call"})"));
  EXPECT_FALSE(S.handleLine(R"({"jsonrpc":"2.0","id":9,"result":{}})"));
  EXPECT_FALSE(S.handleLine(
      R"({"jsonrpc":"2.0","id":9,"error":{"code":1,"message":"x"}})"));
  // A trailing CR is the line's end.
  EXPECT_EQ(code(ask(S, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r")),
            0);
}

TEST(McpTest, ToolTextIsValidUtf8) {
  McpTool T;
  T.Name = "bytes";
  T.Call = [](const json::Object &) {
    return McpToolResult::error("bad \xff byte");
  };
  McpServer S("1", "", {T});
  ask(S, initialize());
  json::Value A = ask(S, call("bytes", "{}"));
  EXPECT_EQ(*(*result(A).getArray("content"))[0].getAsObject()->getString(
                "text"),
            "bad \xef\xbf\xbd byte");
}

TEST(McpTest, ServesLinesOverPipes) {
  McpServer S = makeFakeMcpServer();
  int In[2], Out[2];
  ASSERT_EQ(::pipe(In), 0);
  ASSERT_EQ(::pipe(Out), 0);
  std::string Input =
      initialize() + "\n\n" + call("echo", R"({"text":"x"})") + "\r\n" +
      std::string(MaxMcpLine + 10, 'a') + "\n" +
      R"({"jsonrpc":"2.0","id":5,"method":"ping"})"; // no final newline
  // The writer in a thread of its own: the input is larger than a pipe.
  std::thread Writer([&] {
    for (size_t At = 0; At < Input.size();) {
      ssize_t N = ::write(In[1], Input.data() + At,
                          std::min<size_t>(Input.size() - At, 100000));
      if (N <= 0)
        break;
      At += static_cast<size_t>(N);
    }
    ::close(In[1]);
  });
  llvm::Error E = serveMcp(S, In[0], Out[1]);
  Writer.join();
  EXPECT_FALSE(E) << llvm::toString(std::move(E));
  ::close(Out[1]);
  ::close(In[0]);
  std::string Got;
  char Buf[4096];
  for (ssize_t N; (N = ::read(Out[0], Buf, sizeof Buf)) > 0;)
    Got.append(Buf, static_cast<size_t>(N));
  ::close(Out[0]);
  llvm::SmallVector<llvm::StringRef, 4> Lines;
  llvm::StringRef(Got).split(Lines, '\n', -1, false);
  ASSERT_EQ(Lines.size(), 4u) << Got;
  EXPECT_TRUE(Lines[1].contains(R"("said":"x")"));
  EXPECT_TRUE(Lines[2].contains("-32700"));
  EXPECT_TRUE(Lines[3].contains(R"("id":5)"));
}
