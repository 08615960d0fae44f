//===- UserConfig.cpp - where the user's connectorc files live ------------===//
#include "ir/UserConfig.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"

using namespace connectorc;

std::string ir::userConfigFile(llvm::StringRef Name) {
  llvm::SmallString<256> P;
  if (auto Xdg = llvm::sys::Process::GetEnv("XDG_CONFIG_HOME");
      Xdg && !Xdg->empty())
    P = *Xdg;
  else if (auto Home = llvm::sys::Process::GetEnv("HOME"))
    llvm::sys::path::append(P, *Home, ".config");
  if (P.empty())
    return "";
  llvm::sys::path::append(P, "connectorc", Name);
  return std::string(P);
}
