//===- Mcp.cpp - MCP servers: the well-known ones and their config --------===//
#include "ir/Mcp.h"
#include "ir/TomlQuote.h"

#include "llvm/ADT/STLExtras.h"
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

std::optional<llvm::StringRef> ir::envReference(llvm::StringRef Value) {
  if (Value.startswith("${") && Value.endswith("}"))
    return Value.drop_front(2).drop_back();
  return std::nullopt;
}

namespace {
std::string tomlArray(llvm::ArrayRef<std::string> Items) {
  std::string Out = "[";
  for (size_t I = 0; I < Items.size(); ++I)
    Out += (I ? ", " : "") + tomlString(Items[I]);
  return Out + "]";
}

/// Why codex cannot be given \p S; empty when it can.
std::string codexProblem(const McpServer &S) {
  if (!isBareTomlKey(S.Name))
    return "its name is not a bare TOML key ([A-Za-z0-9_-]+), which codex's "
           "-c key path needs";
  if (S.Command.empty())
    return "it has no command";
  auto HasReference = [](llvm::StringRef A) { return A.contains("${"); };
  if (HasReference(S.Command) || llvm::any_of(S.Args, HasReference))
    return "codex does not expand ${...} in a command or its arguments";
  for (const auto &[Name, Value] : S.Env)
    if (HasReference(Value) && envReference(Value) != llvm::StringRef(Name))
      return "its env " + Name + " is not \"${" + Name +
             "}\": codex expands no reference, it forwards a variable only "
             "under its own name";
  return "";
}

/// \p S as a TOML inline table.
std::string codexServerTable(const McpServer &S) {
  std::string Table = "{command = " + tomlString(S.Command) +
                      ", args = " + tomlArray(S.Args);
  std::string Env;
  std::vector<std::string> Forward;
  for (const auto &[Name, Value] : S.Env) {
    if (envReference(Value))
      Forward.push_back(Name);
    else
      Env += (Env.empty() ? "" : ", ") + tomlKey(Name) + " = " +
             tomlString(Value);
  }
  if (!Env.empty())
    Table += ", env = {" + Env + "}";
  if (!Forward.empty())
    Table += ", env_vars = " + tomlArray(Forward);
  return Table + "}";
}
} // namespace

ir::CodexMcpArgs ir::codexMcpArgs(llvm::ArrayRef<McpServer> Servers) {
  CodexMcpArgs Out;
  for (const McpServer &S : resolveMcpServers(Servers)) {
    std::string Problem = codexProblem(S);
    if (!Problem.empty()) {
      Out.Skipped.push_back("server '" + S.Name + "': " + Problem);
      continue;
    }
    Out.Argv.push_back("-c");
    Out.Argv.push_back("mcp_servers." + S.Name + "=" + codexServerTable(S));
  }
  return Out;
}
