//===- Mcp.cpp - MCP servers: the well-known ones and their config --------===//
#include "ir/Mcp.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

using namespace connectorc;
using namespace connectorc::ir;

namespace {
/// The reference servers of the Model Context Protocol project, started as
/// their READMEs say; secrets come from the agent's environment.
struct WellKnown {
  llvm::StringRef Name;
  std::vector<std::string> Argv; ///< command first
  EnvList Env;
};

const std::vector<WellKnown> &table() {
  static const std::vector<WellKnown> T = {
      {"github",
       {"npx", "-y", "@modelcontextprotocol/server-github"},
       {{"GITHUB_PERSONAL_ACCESS_TOKEN", "${GITHUB_PERSONAL_ACCESS_TOKEN}"}}},
      {"gitlab",
       {"npx", "-y", "@modelcontextprotocol/server-gitlab"},
       {{"GITLAB_PERSONAL_ACCESS_TOKEN", "${GITLAB_PERSONAL_ACCESS_TOKEN}"},
        {"GITLAB_API_URL", "${GITLAB_API_URL}"}}},
      {"postgres",
       {"npx", "-y", "@modelcontextprotocol/server-postgres", "${DATABASE_URL}"},
       {}},
      {"sqlite",
       {"uvx", "mcp-server-sqlite", "--db-path", "${SQLITE_DB_PATH}"},
       {}},
      {"filesystem",
       {"npx", "-y", "@modelcontextprotocol/server-filesystem", "."},
       {}},
      {"git", {"uvx", "mcp-server-git", "--repository", "."}, {}},
      {"fetch", {"uvx", "mcp-server-fetch"}, {}},
      {"memory", {"npx", "-y", "@modelcontextprotocol/server-memory"}, {}},
      {"puppeteer",
       {"npx", "-y", "@modelcontextprotocol/server-puppeteer"},
       {}},
      {"slack",
       {"npx", "-y", "@modelcontextprotocol/server-slack"},
       {{"SLACK_BOT_TOKEN", "${SLACK_BOT_TOKEN}"},
        {"SLACK_TEAM_ID", "${SLACK_TEAM_ID}"}}},
  };
  return T;
}
} // namespace

llvm::ArrayRef<llvm::StringRef> ir::wellKnownMcpServers() {
  static const std::vector<llvm::StringRef> Names = [] {
    std::vector<llvm::StringRef> N;
    for (const WellKnown &W : table())
      N.push_back(W.Name);
    return N;
  }();
  return Names;
}

std::optional<McpServer> ir::wellKnownMcpServer(llvm::StringRef Name) {
  for (const WellKnown &W : table())
    if (W.Name == Name)
      return McpServer{W.Name.str(), W.Argv.front(),
                       std::vector<std::string>(W.Argv.begin() + 1,
                                                W.Argv.end()),
                       W.Env};
  return std::nullopt;
}

std::vector<McpServer> ir::resolveMcpServers(llvm::ArrayRef<McpServer> Servers) {
  std::vector<McpServer> Out;
  for (const McpServer &S : Servers) {
    std::optional<McpServer> Known =
        S.Command.empty() ? wellKnownMcpServer(S.Name) : std::nullopt;
    Out.push_back(Known ? *Known : S);
  }
  return Out;
}

std::string ir::mcpConfigJson(llvm::ArrayRef<McpServer> Servers) {
  llvm::json::Object All;
  for (const McpServer &S : resolveMcpServers(Servers)) {
    llvm::json::Array Args;
    for (const std::string &A : S.Args)
      Args.push_back(A);
    llvm::json::Object Env;
    for (const auto &[Name, Value] : S.Env)
      Env[Name] = Value;
    All[S.Name] = llvm::json::Object{{"command", S.Command},
                                     {"args", std::move(Args)},
                                     {"env", std::move(Env)}};
  }
  std::string Text;
  llvm::raw_string_ostream OS(Text);
  OS << llvm::formatv(
      "{0:2}", llvm::json::Value(llvm::json::Object{{"mcpServers", std::move(All)}}));
  OS << '\n';
  return Text;
}
