//===- Mcp.h - the Model Context Protocol over stdio -------------*- C++ -*-===//
//
// `connectorc mcp` lets an AI agent host (Claude Code, Codex, Gemini CLI)
// run a team: it speaks MCP (JSON-RPC 2.0, one message a line, protocol
// revision 2025-06-18 or 2025-11-25) on standard input and output, and its
// tools are connectorc's operations. This is the transport only: framing,
// the lifecycle (initialize), tools/list with each tool's JSON Schemas, and
// tools/call with its arguments checked against them. What a tool does is
// the function it is registered with (tools/connectorc/Mcp.cpp); the
// protocol never holds logic of its own. docs/mcp.md.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_SERVER_MCP_H
#define CONNECTORC_RUNTIME_SERVER_MCP_H

#include "llvm/Support/JSON.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace connectorc::runtime {

/// The revisions spoken, newest first: a client asking for another one is
/// answered with the newest (the protocol's negotiation).
inline constexpr const char *McpProtocolVersions[] = {"2025-11-25",
                                                      "2025-06-18"};

/// The longest message (one line) read; a longer one is answered with a
/// parse error and skipped.
inline constexpr size_t MaxMcpLine = 16 << 20;
/// The deepest nesting of arrays and objects in a message; deeper is a
/// parse error (the JSON parser recurses).
inline constexpr unsigned MaxMcpNesting = 64;

/// JSON-RPC 2.0's error codes.
enum class RpcError : int {
  ParseError = -32700,
  InvalidRequest = -32600,
  MethodNotFound = -32601,
  InvalidParams = -32602,
  InternalError = -32603,
};

/// The type of a tool's argument, and of its JSON Schema.
enum class McpArgKind { String, Boolean, Integer, Number, StringArray };

/// One argument of a tool: its input schema's property, and what
/// tools/call checks.
struct McpArg {
  std::string Name;
  McpArgKind Kind = McpArgKind::String;
  std::string Description;
  bool Required = false;
  std::vector<std::string> Enum;  ///< String: the values allowed, if any
  std::optional<int64_t> Minimum; ///< Integer
  std::optional<int64_t> Maximum; ///< Integer
};

/// What a tool call gives back.
struct McpToolResult {
  /// For the model: the structured content's JSON text, or a sentence.
  std::string Text;
  /// The result, conforming to the tool's output schema; none on an error.
  std::optional<llvm::json::Object> Structured;
  /// The tool ran and failed (a run that does not exist, a spec with
  /// errors): a result the model reads, not a protocol error.
  bool IsError = false;

  /// A result whose text is \p Structured as JSON.
  static McpToolResult structured(llvm::json::Object Structured);
  /// A failure the model is told about in \p Message.
  static McpToolResult error(std::string Message);
};

/// A tool: its name, description and schemas for tools/list, and what it
/// does.
struct McpTool {
  std::string Name;
  std::string Title;
  std::string Description;
  std::vector<McpArg> Args;
  /// The output schema (a JSON Schema of an object), or none.
  std::optional<llvm::json::Object> OutputSchema;
  /// Hints for the host (MCP's tool annotations).
  bool ReadOnly = false;
  bool Destructive = false;
  bool OpenWorld = false;
  /// Runs the tool on arguments that the schema accepts.
  std::function<McpToolResult(const llvm::json::Object &Args)> Call;
};

/// The JSON Schema of \p Tool's arguments.
llvm::json::Object mcpInputSchema(const McpTool &Tool);
/// Why \p Args does not fit \p Tool's arguments ("" when they do): an
/// unknown or missing argument, or one of another type or out of range.
std::string checkMcpArguments(const McpTool &Tool,
                              const llvm::json::Object &Args);
/// Parses an output schema written as JSON text (a tool's table entry);
/// a broken one is a programming error.
llvm::json::Object mcpSchema(llvm::StringRef Text);

/// A JSON-RPC error answer's line: \p Id (null when the request's is not
/// known), \p Code and \p Message.
std::string mcpErrorLine(const llvm::json::Value &Id, RpcError Code,
                         llvm::StringRef Message);

/// One MCP session: the messages of one client, in order.
class McpServer {
public:
  McpServer(std::string Version, std::string Instructions,
            std::vector<McpTool> Tools);
  /// Handles one message \p Line (a trailing CR is ignored): the answer's
  /// line, without the newline, or none (a notification, a response, a
  /// blank line). Never fails: bad input gets a JSON-RPC error.
  std::optional<std::string> handleLine(llvm::StringRef Line);
  /// The revision agreed on by initialize ("" before it).
  llvm::StringRef protocolVersion() const { return Version; }
  /// Whether the client said notifications/initialized.
  bool initialized() const { return Initialized; }
  const std::vector<McpTool> &tools() const { return Tools; }

  /// A request's result, or its JSON-RPC error.
  struct Reply;

private:
  Reply handleRequest(llvm::StringRef Method, const llvm::json::Object &Params);
  Reply initialize(const llvm::json::Object &Params);
  Reply listTools(const llvm::json::Object &Params);
  Reply callTool(const llvm::json::Object &Params);

  std::string ServerVersion;
  std::string Instructions;
  std::vector<McpTool> Tools;
  std::string Version;
  bool Initialized = false; ///< the client said notifications/initialized
};

/// Serves \p Server on \p InFd and \p OutFd (a client's pipes), one message
/// a line, until the input ends; an error when reading or writing fails.
llvm::Error serveMcp(McpServer &Server, int InFd, int OutFd);

} // namespace connectorc::runtime

#endif
