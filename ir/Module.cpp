//===- Module.cpp - small pieces of the IR's vocabulary -------------------===//
#include "ir/Module.h"

#include "ir/Fmt.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <cstdlib>

using namespace connectorc;
using namespace connectorc::ir;

llvm::StringRef ir::promptViaName(PromptVia V) {
  switch (V) {
  case PromptVia::Arg:
    return "arg";
  case PromptVia::Stdin:
    return "stdin";
  case PromptVia::Type:
    return "type";
  }
  return "arg";
}

std::optional<PromptVia> ir::parsePromptVia(llvm::StringRef S) {
  return llvm::StringSwitch<std::optional<PromptVia>>(S)
      .Case("arg", PromptVia::Arg)
      .Case("stdin", PromptVia::Stdin)
      .Case("type", PromptVia::Type)
      .Default(std::nullopt);
}

llvm::StringRef ir::sandboxNetName(SandboxNet N) {
  switch (N) {
  case SandboxNet::Provider:
    return "provider";
  case SandboxNet::None:
    return "none";
  case SandboxNet::Full:
    return "full";
  }
  return "provider";
}

std::optional<SandboxNet> ir::parseSandboxNet(llvm::StringRef S) {
  return llvm::StringSwitch<std::optional<SandboxNet>>(S)
      .Case("provider", SandboxNet::Provider)
      .Case("none", SandboxNet::None)
      .Case("full", SandboxNet::Full)
      .Default(std::nullopt);
}

llvm::StringRef ir::tierName(Tier T) {
  switch (T) {
  case Tier::Any:
    return "any";
  case Tier::Fast:
    return "fast";
  case Tier::Balanced:
    return "balanced";
  case Tier::Strong:
    return "strong";
  }
  return "any";
}

std::optional<Tier> ir::parseTier(llvm::StringRef S) {
  return llvm::StringSwitch<std::optional<Tier>>(S)
      .Case("any", Tier::Any)
      .Case("fast", Tier::Fast)
      .Case("balanced", Tier::Balanced)
      .Case("strong", Tier::Strong)
      .Default(std::nullopt);
}

llvm::StringRef ir::stageKindName(StageKind K) {
  switch (K) {
  case StageKind::Workers:
    return "workers";
  case StageKind::Dialogue:
    return "dialogue";
  case StageKind::Meeting:
    return "meeting";
  case StageKind::Mesh:
    return "mesh";
  case StageKind::Team:
    return "team";
  }
  return "workers";
}

const Model *Module::findModel(llvm::StringRef Name) const {
  for (const Model &M : Models)
    if (M.Name == Name)
      return &M;
  return nullptr;
}

std::string Module::modelVar(llvm::StringRef Name) const {
  const Model *M = findModel(Name);
  return M && M->IsInline ? M->Ref.str() : Name.str();
}

const Machine *Module::findMachine(llvm::StringRef Name) const {
  for (const Machine &M : Machines)
    if (M.Name == Name)
      return &M;
  return nullptr;
}

/// The number \p Digits ("30", "1.5") stands for, or std::nullopt.
static std::optional<double> durationNumber(llvm::StringRef Digits) {
  // Whole numbers directly: APFloat's decimal parsing (getAsDouble) was 52 M
  // of lint's 0.92 G instructions on the benchmark spec, every worker having
  // a "timeout" (callgrind). Up to 15 digits the double is exact.
  if (Digits.size() <= 15 && !Digits.contains('.')) {
    std::uint64_t N = 0;
    for (char C : Digits)
      N = N * 10 + static_cast<std::uint64_t>(C - '0');
    return static_cast<double>(N);
  }
  double N;
  if (Digits.getAsDouble(N))
    return std::nullopt;
  return N;
}

std::optional<double> ir::parseDuration(llvm::StringRef S) {
  if (S.empty())
    return std::nullopt;
  double Total = 0;
  while (!S.empty()) {
    size_t Digits = S.find_first_not_of("0123456789.");
    if (Digits == 0 || Digits == llvm::StringRef::npos)
      return std::nullopt;
    std::optional<double> N = durationNumber(S.take_front(Digits));
    if (!N)
      return std::nullopt;
    S = S.drop_front(Digits);
    double Unit;
    if (S.consume_front("ms"))
      Unit = 0.001;
    else if (S.consume_front("s"))
      Unit = 1;
    else if (S.consume_front("m"))
      Unit = 60;
    else if (S.consume_front("h"))
      Unit = 3600;
    else if (S.consume_front("d"))
      Unit = 86400;
    else
      return std::nullopt;
    Total += *N * Unit;
  }
  return Total;
}

std::string ir::formatUsd(double Usd) {
  return Usd > 0 && Usd < 0.01 ? fmt::format("${:.4f}", Usd)
                               : fmt::format("${:.2f}", Usd);
}

std::string ir::formatDuration(double Seconds) {
  if (Seconds <= 0)
    return "0s";
  if (Seconds < 1)
    return fmt::format("{}ms", std::llround(Seconds * 1000));
  std::string Out;
  auto S = static_cast<long long>(std::llround(Seconds));
  for (auto [Unit, Name] : {std::pair{86400LL, "d"}, {3600LL, "h"},
                            {60LL, "m"}, {1LL, "s"}})
    if (S >= Unit) {
      Out += fmt::format("{}{}", S / Unit, Name);
      S %= Unit;
    }
  return Out;
}

std::optional<std::string> ir::enclosingGitRepo(llvm::StringRef Dir) {
  llvm::SmallString<256> Probe(Dir);
  llvm::sys::fs::make_absolute(Probe);
  llvm::sys::path::remove_dots(Probe, /*remove_dot_dot=*/true);
  // As git: GIT_CEILING_DIRECTORIES lists directories the search does not
  // go up into.
  llvm::SmallVector<llvm::StringRef, 4> Ceilings;
  const char *Env = std::getenv("GIT_CEILING_DIRECTORIES");
  llvm::StringRef(Env ? Env : "").split(Ceilings, ':', -1, false);
  for (;;) {
    llvm::SmallString<256> Git(Probe);
    llvm::sys::path::append(Git, ".git");
    if (llvm::sys::fs::exists(Git))
      return std::string(Probe);
    if (!llvm::sys::path::has_parent_path(Probe))
      return std::nullopt;
    llvm::StringRef Up = llvm::sys::path::parent_path(Probe);
    if (llvm::any_of(Ceilings, [&](llvm::StringRef C) {
          return C.rtrim('/') == Up || (C == "/" && Up == "/");
        }))
      return std::nullopt;
    Probe = Up.str();
  }
}
