//===- Mcp.h - MCP servers: the well-known ones and their config -*- C++ -*-===//
//
// "tools": {"mcp": [...]} names MCP servers every session gets. A bare name
// is one of the well-known servers below (their usual commands); an object
// entry gives its own {command, args, env}. A session's servers are written
// as the JSON both Claude Code (--mcp-config) and Gemini CLI (settings.json)
// read: {"mcpServers": {NAME: {command, args, env}}}. Environment values of
// the form "${NAME}" are references the CLI expands from its environment:
// secrets are never written in clear. Codex CLI reads no such file: it is
// given each server as a `-c mcp_servers.NAME={...}` override (TOML), and
// forwards a reference by name (env_vars) since it expands none.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_IR_MCP_H
#define CONNECTORC_IR_MCP_H

#include "ir/Module.h"

#include "llvm/ADT/ArrayRef.h"

#include <optional>
#include <string>

namespace connectorc::ir {

/// The names of the well-known servers, for messages and suggestions.
llvm::ArrayRef<llvm::StringRef> wellKnownMcpServers();

/// The well-known server \p Name, with its command; std::nullopt when there
/// is none of that name.
std::optional<McpServer> wellKnownMcpServer(llvm::StringRef Name);

/// \p Servers with every well-known name (no command) replaced by its
/// definition; unknown names are left as they are.
std::vector<McpServer> resolveMcpServers(llvm::ArrayRef<McpServer> Servers);

/// {"mcpServers": {...}} for \p Servers (resolved), pretty-printed.
std::string mcpConfigJson(llvm::ArrayRef<McpServer> Servers);

/// NAME when \p Value is a reference "${NAME}" to the environment.
std::optional<llvm::StringRef> envReference(llvm::StringRef Value);

/// Codex CLI's arguments for a session's MCP servers.
struct CodexMcpArgs {
  /// "-c", "mcp_servers.NAME={command = ..., args = [...], env = {...},
  /// env_vars = [...]}" for each server codex can be given.
  std::vector<std::string> Argv;
  /// "server 'NAME': why" for each it cannot, for a warning.
  std::vector<std::string> Skipped;
};

/// \p Servers (resolved) for `codex -c`. Codex splits the key at every `.`
/// and quotes nothing there, so a server's name must be a bare TOML key; it
/// expands no `${NAME}`, so an environment value "${NAME}" under its own
/// name is forwarded by name (env_vars: the secret never reaches argv), and
/// a server with any other reference cannot be given. Other environment
/// values are the spec's own text and go in `env`.
CodexMcpArgs codexMcpArgs(llvm::ArrayRef<McpServer> Servers);

} // namespace connectorc::ir

#endif
