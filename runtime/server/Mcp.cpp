//===- Mcp.cpp - the Model Context Protocol over stdio --------------------===//
#include "runtime/server/Mcp.h"

#include "runtime/support/JsonText.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Errc.h"
#include "llvm/Support/Error.h"

#include <cerrno>
#include <cmath>
#include <unistd.h>

using namespace connectorc;
using namespace connectorc::runtime;
namespace json = llvm::json;

struct McpServer::Reply {
  std::optional<json::Value> Result;
  RpcError Code = RpcError::InternalError;
  std::string Message;

  static Reply ok(json::Value V) {
    Reply R;
    R.Result = std::move(V);
    return R;
  }
  static Reply fail(RpcError Code, std::string Message) {
    Reply R;
    R.Code = Code;
    R.Message = std::move(Message);
    return R;
  }
};

namespace {
/// \p S as valid UTF-8 (ill-formed sequences become U+FFFD): what a tool
/// gives back may come from any file.
std::string utf8(llvm::StringRef S) {
  return json::isUTF8(S) ? S.str() : json::fixUTF8(S);
}

std::string line(json::Object Message) {
  Message["jsonrpc"] = "2.0";
  return toJsonText(json::Value(std::move(Message)));
}

/// A JSON-RPC id: a string or a number (MCP: never null). A number too
/// large for a double (1e400) is none: it could not be written back.
bool isId(const json::Value &V) {
  return V.kind() == json::Value::String ||
         (V.kind() == json::Value::Number && std::isfinite(*V.getAsNumber()));
}

const char *kindName(McpArgKind K) {
  switch (K) {
  case McpArgKind::String:
    return "a string";
  case McpArgKind::Boolean:
    return "a boolean";
  case McpArgKind::Integer:
    return "an integer";
  case McpArgKind::Number:
    return "a number";
  case McpArgKind::StringArray:
    return "an array of strings";
  }
  return "a value";
}

json::Object argSchema(const McpArg &A) {
  json::Object P{{"description", A.Description}};
  switch (A.Kind) {
  case McpArgKind::String:
    P["type"] = "string";
    if (!A.Enum.empty())
      P["enum"] = json::Array(A.Enum);
    break;
  case McpArgKind::Boolean:
    P["type"] = "boolean";
    break;
  case McpArgKind::Integer:
    P["type"] = "integer";
    if (A.Minimum)
      P["minimum"] = *A.Minimum;
    if (A.Maximum)
      P["maximum"] = *A.Maximum;
    break;
  case McpArgKind::Number:
    P["type"] = "number";
    break;
  case McpArgKind::StringArray:
    P["type"] = "array";
    P["items"] = json::Object{{"type", "string"}};
    break;
  }
  return P;
}

/// Whether \p V is of \p A's type and within its bounds.
bool fits(const McpArg &A, const json::Value &V) {
  switch (A.Kind) {
  case McpArgKind::String: {
    llvm::Optional<llvm::StringRef> S = V.getAsString();
    return S && (A.Enum.empty() || llvm::is_contained(A.Enum, *S));
  }
  case McpArgKind::Boolean:
    return V.getAsBoolean().hasValue();
  case McpArgKind::Integer: {
    llvm::Optional<int64_t> I = V.getAsInteger();
    return I && (!A.Minimum || *I >= *A.Minimum) &&
           (!A.Maximum || *I <= *A.Maximum);
  }
  case McpArgKind::Number:
    return V.getAsNumber().hasValue();
  case McpArgKind::StringArray: {
    const json::Array *Arr = V.getAsArray();
    return Arr && llvm::all_of(*Arr, [](const json::Value &E) {
             return E.getAsString().hasValue();
           });
  }
  }
  return false;
}

std::string expected(const McpArg &A) {
  std::string What = kindName(A.Kind);
  if (!A.Enum.empty())
    What = "one of " + llvm::join(A.Enum, ", ");
  if (A.Minimum && A.Maximum)
    What += " from " + std::to_string(*A.Minimum) + " to " +
            std::to_string(*A.Maximum);
  else if (A.Minimum)
    What += " of at least " + std::to_string(*A.Minimum);
  return What;
}

std::string argNames(const McpTool &T) {
  if (T.Args.empty())
    return "it takes none";
  return "its arguments: " +
         llvm::join(llvm::map_range(T.Args,
                                    [](const McpArg &A) { return A.Name; }),
                    ", ");
}
} // namespace

McpToolResult McpToolResult::structured(json::Object Structured) {
  McpToolResult R;
  R.Text = utf8(toJsonText(json::Value(std::move(Structured))));
  // Read back, so that it owns its strings: a json::Value made of a
  // StringRef only refers to it, and a tool's strings may end with the call.
  llvm::Expected<json::Value> V = json::parse(R.Text);
  if (!V)
    llvm::consumeError(V.takeError()); // text JSON cannot hold: none
  else if (json::Object *O = V->getAsObject())
    R.Structured = std::move(*O);
  if (!R.Structured)
    R.Structured = json::Object{};
  return R;
}

McpToolResult McpToolResult::error(std::string Message) {
  McpToolResult R;
  R.Text = std::move(Message);
  R.IsError = true;
  return R;
}

json::Object runtime::mcpInputSchema(const McpTool &Tool) {
  json::Object Props;
  json::Array Required;
  for (const McpArg &A : Tool.Args) {
    Props[A.Name] = argSchema(A);
    if (A.Required)
      Required.push_back(A.Name);
  }
  json::Object S{{"type", "object"},
                 {"properties", std::move(Props)},
                 {"additionalProperties", false}};
  if (!Required.empty())
    S["required"] = std::move(Required);
  return S;
}

std::string runtime::checkMcpArguments(const McpTool &Tool,
                                       const json::Object &Args) {
  for (const auto &KV : Args)
    if (llvm::none_of(Tool.Args,
                      [&](const McpArg &A) { return A.Name == KV.first; }))
      return "unknown argument '" + utf8(KV.first) + "' to " + Tool.Name +
             " (" + argNames(Tool) + ")";
  for (const McpArg &A : Tool.Args) {
    const json::Value *V = Args.get(A.Name);
    if (!V && A.Required)
      return Tool.Name + " needs the argument '" + A.Name + "' (" +
             kindName(A.Kind) + ": " + A.Description + ")";
    if (V && !fits(A, *V))
      return "'" + A.Name + "' of " + Tool.Name + " must be " + expected(A);
  }
  return "";
}

json::Object runtime::mcpSchema(llvm::StringRef Text) {
  llvm::Expected<json::Value> V = json::parse(Text);
  if (!V) {
    llvm::consumeError(V.takeError());
    assert(false && "an output schema that is not JSON");
    return json::Object{{"type", "object"}};
  }
  json::Object *O = V->getAsObject();
  assert(O && "an output schema that is not an object");
  return O ? std::move(*O) : json::Object{{"type", "object"}};
}

std::string runtime::mcpErrorLine(const json::Value &Id, RpcError Code,
                                  llvm::StringRef Message) {
  return line(json::Object{
      {"id", Id},
      {"error", json::Object{{"code", static_cast<int64_t>(Code)},
                             {"message", utf8(Message)}}}});
}

McpServer::McpServer(std::string ServerVersion, std::string Instructions,
                     std::vector<McpTool> Tools)
    : ServerVersion(std::move(ServerVersion)),
      Instructions(std::move(Instructions)), Tools(std::move(Tools)) {}

std::optional<std::string> McpServer::handleLine(llvm::StringRef Line) {
  Line = Line.rtrim("\r");
  if (Line.trim().empty())
    return std::nullopt;
  if (Line.size() > MaxMcpLine)
    return mcpErrorLine(nullptr, RpcError::ParseError,
                        "a message longer than " +
                            std::to_string(MaxMcpLine) + " bytes");
  if (nestsDeeperThan(Line, MaxMcpNesting))
    return mcpErrorLine(nullptr, RpcError::ParseError,
                        "a message nested deeper than " +
                            std::to_string(MaxMcpNesting) + " levels");
  llvm::Expected<json::Value> V = json::parse(Line);
  if (!V)
    return mcpErrorLine(nullptr, RpcError::ParseError,
                        "not JSON: " + llvm::toString(V.takeError()));
  if (V->getAsArray())
    return mcpErrorLine(nullptr, RpcError::InvalidRequest,
                        "a batch (a JSON array) is not a message since MCP "
                        "2025-06-18: send one message a line");
  const json::Object *M = V->getAsObject();
  if (!M)
    return mcpErrorLine(nullptr, RpcError::InvalidRequest,
                        "a message is a JSON object");
  const json::Value *Id = M->get("id");
  const json::Value *Method = M->get("method");
  // A response: connectorc sends no requests, so it answers none of ours.
  if (!Method && Id && (M->get("result") || M->get("error")))
    return std::nullopt;
  json::Value ReplyId = Id && isId(*Id) ? *Id : json::Value(nullptr);
  if (M->getString("jsonrpc") != llvm::StringRef("2.0"))
    return mcpErrorLine(ReplyId, RpcError::InvalidRequest,
                        "a message needs \"jsonrpc\": \"2.0\"");
  if (Id && !isId(*Id))
    return mcpErrorLine(nullptr, RpcError::InvalidRequest,
                        "an id is a string or a number");
  if (!Method || !Method->getAsString())
    return mcpErrorLine(ReplyId, RpcError::InvalidRequest,
                        "a request needs a \"method\" (a string)");
  llvm::StringRef Name = *Method->getAsString();
  const json::Value *P = M->get("params");
  const json::Object NoParams;
  if (!Id) {
    // A notification is never answered, whatever it holds.
    if (Name == "notifications/initialized")
      Initialized = true;
    return std::nullopt;
  }
  if (P && !P->getAsObject())
    return mcpErrorLine(ReplyId, RpcError::InvalidParams,
                        "\"params\" is an object");
  Reply R = handleRequest(Name, P ? *P->getAsObject() : NoParams);
  if (!R.Result)
    return mcpErrorLine(ReplyId, R.Code, R.Message);
  return line(json::Object{{"id", ReplyId}, {"result", std::move(*R.Result)}});
}

McpServer::Reply McpServer::handleRequest(llvm::StringRef Method,
                                          const json::Object &Params) {
  if (Method == "ping")
    return Reply::ok(json::Object{});
  if (Method == "initialize")
    return initialize(Params);
  bool Known = Method == "tools/list" || Method == "tools/call";
  if (!Known)
    return Reply::fail(RpcError::MethodNotFound,
                       "no method '" + Method.str() +
                           "': connectorc's MCP server has tools only "
                           "(initialize, ping, tools/list, tools/call)");
  if (Version.empty())
    return Reply::fail(RpcError::InvalidRequest,
                       "the session is not initialized: send initialize "
                       "first");
  if (Method == "tools/list")
    return listTools(Params);
  return callTool(Params);
}

McpServer::Reply McpServer::initialize(const json::Object &Params) {
  if (!Version.empty())
    return Reply::fail(RpcError::InvalidRequest,
                       "the session is initialized already");
  llvm::Optional<llvm::StringRef> Asked = Params.getString("protocolVersion");
  if (!Asked)
    return Reply::fail(RpcError::InvalidParams,
                       "initialize needs \"protocolVersion\" (a string)");
  // The version asked for when it is spoken here, else the newest.
  Version = McpProtocolVersions[0];
  for (const char *V : McpProtocolVersions)
    if (*Asked == V)
      Version = V;
  json::Object Result{
      {"protocolVersion", Version},
      {"capabilities",
       json::Object{{"tools", json::Object{{"listChanged", false}}}}},
      {"serverInfo", json::Object{{"name", "connectorc"},
                                  {"title", "connectorc"},
                                  {"version", ServerVersion}}}};
  if (!Instructions.empty())
    Result["instructions"] = Instructions;
  return Reply::ok(std::move(Result));
}

McpServer::Reply McpServer::listTools(const json::Object &Params) {
  // Every tool fits on one page: no cursor is ever given out.
  if (Params.get("cursor"))
    return Reply::fail(RpcError::InvalidParams,
                       "no such cursor: tools/list gives every tool at once");
  json::Array List;
  for (const McpTool &T : Tools) {
    json::Object O{{"name", T.Name},
                   {"title", T.Title},
                   {"description", T.Description},
                   {"inputSchema", mcpInputSchema(T)},
                   {"annotations",
                    json::Object{{"title", T.Title},
                                 {"readOnlyHint", T.ReadOnly},
                                 {"destructiveHint", T.Destructive},
                                 {"openWorldHint", T.OpenWorld}}}};
    if (T.OutputSchema)
      O["outputSchema"] = json::Object(*T.OutputSchema);
    List.push_back(std::move(O));
  }
  return Reply::ok(json::Object{{"tools", std::move(List)}});
}

McpServer::Reply McpServer::callTool(const json::Object &Params) {
  llvm::Optional<llvm::StringRef> Name = Params.getString("name");
  if (!Name)
    return Reply::fail(RpcError::InvalidParams,
                       "tools/call needs \"name\" (a string)");
  const McpTool *Tool = nullptr;
  for (const McpTool &T : Tools)
    if (T.Name == *Name)
      Tool = &T;
  if (!Tool)
    return Reply::fail(
        RpcError::InvalidParams,
        "no tool '" + Name->str() + "' (the tools: " +
            llvm::join(llvm::map_range(
                           Tools, [](const McpTool &T) { return T.Name; }),
                       ", ") +
            ")");
  const json::Value *A = Params.get("arguments");
  if (A && !A->getAsObject())
    return Reply::fail(RpcError::InvalidParams,
                       "\"arguments\" is an object");
  const json::Object NoArgs;
  const json::Object &Args = A ? *A->getAsObject() : NoArgs;
  McpToolResult Result;
  if (std::string Bad = checkMcpArguments(*Tool, Args); !Bad.empty()) {
    // 2025-06-18 calls arguments that do not fit a protocol error; later
    // revisions a tool's, which the model reads and can correct.
    if (Version == "2025-06-18")
      return Reply::fail(RpcError::InvalidParams, Bad);
    Result = McpToolResult::error(std::move(Bad));
  } else {
    Result = Tool->Call(Args);
  }
  if (!Result.IsError && Tool->OutputSchema && !Result.Structured) {
    assert(false && "a tool with an output schema gave no structured result");
    return Reply::fail(RpcError::InternalError,
                       Tool->Name + " gave no structured result");
  }
  json::Object Out{
      {"content", json::Array{json::Object{{"type", "text"},
                                           {"text", utf8(Result.Text)}}}}};
  if (Result.Structured)
    Out["structuredContent"] = std::move(*Result.Structured);
  if (Result.IsError)
    Out["isError"] = true;
  return Reply::ok(std::move(Out));
}

namespace {
llvm::Error writeAll(int Fd, llvm::StringRef Bytes) {
  while (!Bytes.empty()) {
    ssize_t N = ::write(Fd, Bytes.data(), Bytes.size());
    if (N < 0 && errno == EINTR)
      continue;
    if (N < 0)
      return llvm::errorCodeToError(
          std::error_code(errno, std::generic_category()));
    Bytes = Bytes.drop_front(static_cast<size_t>(N));
  }
  return llvm::Error::success();
}
} // namespace

llvm::Error runtime::serveMcp(McpServer &Server, int InFd, int OutFd) {
  std::string Buf;
  size_t Scanned = 0;    // bytes of Buf known to hold no newline
  bool Skipping = false; // the rest of an oversized line is dropped
  auto Answer = [&](llvm::StringRef Line) -> llvm::Error {
    if (std::optional<std::string> A = Server.handleLine(Line))
      return writeAll(OutFd, *A + "\n");
    return llvm::Error::success();
  };
  char Chunk[1 << 16];
  for (;;) {
    ssize_t N = ::read(InFd, Chunk, sizeof Chunk);
    if (N < 0 && errno == EINTR)
      continue;
    if (N < 0)
      return llvm::errorCodeToError(
          std::error_code(errno, std::generic_category()));
    if (N == 0)
      break;
    Buf.append(Chunk, static_cast<size_t>(N));
    size_t Start = 0;
    for (size_t Nl; (Nl = Buf.find('\n', Scanned)) != std::string::npos;
         Start = Scanned = Nl + 1) {
      if (Skipping)
        Skipping = false;
      else if (llvm::Error E =
                   Answer(llvm::StringRef(Buf).slice(Start, Nl)))
        return E;
    }
    Buf.erase(0, Start);
    Scanned = Buf.size();
    if (Buf.size() > MaxMcpLine) {
      if (!Skipping)
        if (llvm::Error E = writeAll(
                OutFd, mcpErrorLine(nullptr, RpcError::ParseError,
                                    "a message longer than " +
                                        std::to_string(MaxMcpLine) +
                                        " bytes") +
                           "\n"))
          return E;
      Skipping = true;
      Buf.clear();
      Scanned = 0;
    }
  }
  if (!Skipping && !Buf.empty())
    return Answer(Buf);
  return llvm::Error::success();
}
