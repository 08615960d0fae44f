//===- McpFuzzer.cpp - libFuzzer target: the MCP server's protocol --------===//
//
// Feeds arbitrary bytes to `connectorc mcp`'s protocol layer as its
// standard input would bring them (runtime/server/Mcp.h): each line to
// McpServer::handleLine, in order, on one session whose tools are made up
// (test/unit/FakeMcp.h). The lines go as they come: a first message need not
// be initialize, so the fuzzer reaches the tools by finding one.
//
// Besides crashes and sanitizer reports, a finding is an answer that is not
// one line of JSON-RPC 2.0: an object with "jsonrpc": "2.0", an "id" that is
// a string, a number or null, and exactly one of "result" (an object) and
// "error" (an integer "code" and a string "message"); or an answer to a
// message without an id (a notification).
//
//===----------------------------------------------------------------------===//
#include "../unit/FakeMcp.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace connectorc::runtime;
namespace json = llvm::json;

namespace {
void check(bool Holds) {
  if (!Holds)
    std::abort();
}

void checkAnswer(llvm::StringRef Line, llvm::StringRef Answer) {
  check(!Answer.contains('\n'));
  llvm::Expected<json::Value> V = json::parse(Answer);
  check(static_cast<bool>(V));
  const json::Object *O = V->getAsObject();
  check(O && O->getString("jsonrpc") == llvm::StringRef("2.0"));
  const json::Value *Id = O->get("id");
  check(Id && (Id->kind() == json::Value::String ||
               Id->kind() == json::Value::Number ||
               Id->kind() == json::Value::Null));
  const json::Object *Result = O->getObject("result");
  const json::Object *Error = O->getObject("error");
  check((Result != nullptr) != (Error != nullptr));
  if (Error)
    check(Error->getInteger("code") && Error->getString("message"));
  // Not parsed (too deep for the parser's recursion, or not JSON).
  if (Error && Error->getInteger("code").getValueOr(0) == -32700)
    return;
  // A request that parses and has an id is answered with that id.
  llvm::Expected<json::Value> Asked = json::parse(Line.rtrim("\r"));
  if (!Asked) {
    llvm::consumeError(Asked.takeError());
    return;
  }
  const json::Object *Q = Asked->getAsObject();
  const json::Value *QId = Q ? Q->get("id") : nullptr;
  // A message without an id is never answered, unless it could not be
  // told from a request (no method, a bad version): then its id is null.
  if (Q && !QId && Q->getString("method") &&
      Q->getString("jsonrpc") == llvm::StringRef("2.0"))
    check(false);
  if (QId && (QId->kind() == json::Value::String ||
              (QId->kind() == json::Value::Number &&
               std::isfinite(*QId->getAsNumber()))))
    check(*Id == *QId);
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  llvm::StringRef Input(reinterpret_cast<const char *>(Data), Size);
  McpServer Server = makeFakeMcpServer();
  llvm::SmallVector<llvm::StringRef, 16> Lines;
  Input.split(Lines, '\n');
  for (llvm::StringRef Line : Lines)
    if (std::optional<std::string> A = Server.handleLine(Line))
      checkAnswer(Line, *A);
  return 0;
}
