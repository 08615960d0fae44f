//===- UserConfig.h - where the user's connectorc files live -----*- C++
//-*-===//
//
// The user's own files (the provider registry providers.json, config.json)
// are in $XDG_CONFIG_HOME/connectorc/, else ~/.config/connectorc/.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_IR_USERCONFIG_H
#define CONNECTORC_IR_USERCONFIG_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace connectorc::ir {

/// The path of the user's file \p Name ("providers.json", "config.json"),
/// whether or not it exists; "" when neither XDG_CONFIG_HOME nor HOME is
/// set.
std::string userConfigFile(llvm::StringRef Name);

} // namespace connectorc::ir

#endif
