//===- Mcp.h - MCP servers: the well-known ones and their config -*- C++ -*-===//
//
// "tools": {"mcp": [...]} names MCP servers every session gets. A bare name
// is one of the well-known servers below (their usual commands); an object
// entry gives its own {command, args, env}. A session's servers are written
// as the JSON both Claude Code (--mcp-config) and Gemini CLI (settings.json)
// read: {"mcpServers": {NAME: {command, args, env}}}. Environment values of
// the form "${NAME}" are references the CLI expands from its environment:
// secrets are never written in clear.
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

} // namespace connectorc::ir

#endif
