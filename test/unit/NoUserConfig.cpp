//===- NoUserConfig.cpp - the unit tests never read the user's files ------===//
//
// ProviderRegistry::load("") reads $XDG_CONFIG_HOME/connectorc/providers.json
// (or ~/.config/...) when it exists, and a user file changes process-wide
// shorthands. Before any test runs, the configuration directory of this
// binary is pointed at one that does not exist, so that what a test sees does
// not depend on what the user (or anyone else on the machine) keeps there.
// Tests that need a user registry name its file explicitly.
//
//===----------------------------------------------------------------------===//
#include <cstdlib>

namespace {
struct NoUserConfig {
  NoUserConfig() {
    ::setenv("XDG_CONFIG_HOME", "/nonexistent/connectorc-unit-tests", 1);
  }
} Once;
} // namespace
